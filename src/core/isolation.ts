/**
 * User content never runs with an origin's authority (docs/security.md "Origins"). Every answer of the
 * API host, the S3 host and the bucket hosts (objects, listings, errors; presigned or anonymous; both
 * fronts) carries `X-Content-Type-Options: nosniff`, so a browser never guesses a page out of bytes
 * stored as something else; and every answer whose type a browser could run as a document (HTML,
 * XHTML, XML, SVG, any other or missing type) carries `Content-Security-Policy: sandbox`: shown as a
 * page, it runs in a unique opaque origin, without script, storage, forms or pop-ups. The type judged is
 * the one answered, after `response-content-type` and its UFile equivalents.
 *
 * The one exception is a custom bucket host (CUSTOM_HOSTS): an operator maps a domain of its own to
 * one bucket to serve that bucket's site from it, so its pages run as stored (nosniff still applies).
 * Such a host holds no keys and no other bucket's content.
 *
 * The console's own files are the only answers this rule does not touch (src/console.ts sets stricter
 * headers of its own).
 */

/** Types a browser shows without running anything: media, fonts, plain text, JSON, PDF, bytes. */
const PASSIVE_TYPES = new Set(["text/plain", "text/csv", "text/css", "application/json", "application/pdf", "application/octet-stream"]);
const PASSIVE_FAMILIES = ["image/", "audio/", "video/", "font/"];

/** One `type/subtype`, optionally with parameters; a list (`a/b, text/html`) is not one type. */
const SINGLE_TYPE = /^([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+)[ \t]*(;[^,]*)?$/;

/** Whether a browser shown an answer of this Content-Type would only display it (never run it as a page). */
export function isPassiveType(contentType: string | null): boolean {
  if (contentType !== null && PASSIVE_TYPES.has(contentType)) return true; // the common case, as stored: no parse
  const match = SINGLE_TYPE.exec((contentType ?? "").trim().toLowerCase());
  if (!match) return false;
  const essence = match[1]!;
  if (essence.endsWith("+xml") || essence.endsWith("/xml")) return false; // SVG, XHTML, XML: documents
  return PASSIVE_TYPES.has(essence) || PASSIVE_FAMILIES.some((family) => essence.startsWith(family));
}

export const SANDBOX = "sandbox";

/**
 * Sets the isolation headers on an answer's (mutable) headers. `ownSite`: the answer comes from a
 * custom bucket host, which serves its bucket's pages as they are.
 */
export function isolateAnswer(headers: Headers, ownSite: boolean): void {
  headers.set("X-Content-Type-Options", "nosniff");
  if (!ownSite && !isPassiveType(headers.get("Content-Type"))) headers.set("Content-Security-Policy", SANDBOX);
}
