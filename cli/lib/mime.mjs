// @ts-check
// The Content-Type sent with an upload, from the file name (override with --content-type).
import { extname } from "node:path";

const TYPES = {
  ".txt": "text/plain", ".md": "text/markdown", ".csv": "text/csv", ".html": "text/html", ".htm": "text/html",
  ".css": "text/css", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json",
  ".xml": "application/xml", ".pdf": "application/pdf", ".zip": "application/zip", ".gz": "application/gzip",
  ".tar": "application/x-tar", ".wasm": "application/wasm", ".png": "image/png", ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml", ".ico": "image/x-icon",
  ".avif": "image/avif", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".mp4": "video/mp4",
  ".webm": "video/webm", ".mov": "video/quicktime", ".woff": "font/woff", ".woff2": "font/woff2",
};

/** @param {string} name */
export function mimeType(name) {
  return /** @type {Record<string, string>} */ (TYPES)[extname(name).toLowerCase()] ?? "application/octet-stream";
}
