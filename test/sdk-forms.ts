import { utf8 } from "../src/crypto";

/**
 * PostFile bodies exactly as the SDKs build them (docs/protocol.md §5.4): both are malformed in ways
 * `request.formData()` rejects, which is why edgefile parses forms itself.
 */
export type Piece = string | Uint8Array;

export function bytes(...pieces: Piece[]): Uint8Array {
  const parts = pieces.map((p) => (typeof p === "string" ? utf8(p) : p));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const field = (name: string, value: string) => `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

/** ufile-sdk-python `__make_postbody`: fields, the file part, then `--B\r\n` and no closing delimiter. */
export function pythonBody(
  boundary: string,
  key: string,
  auth: string,
  content: Uint8Array,
  mime = "text/plain",
  path = "/tmp/local file.txt",
): Uint8Array {
  const B = boundary;
  return bytes(
    `--${B}\r\n`, field("FileName", key),
    `--${B}\r\n`, field("Authorization", auth),
    `--${B}\r\n`, `Content-Disposition: form-data; name="file"; filename="${path}"\r\n`, `Content-Type: ${mime}\r\n`, "\r\n",
    content, "\r\n", `--${B}\r\n`,
  );
}

/** ufile-gosdk `makeFormBody` plus the close PostFile appends: `\r\n--B\r\n\r\n--B--\r\n`. */
export function goBody(
  boundary: string,
  key: string,
  auth: string,
  content: Uint8Array,
  mime = "image/png",
  md5 = "d41d8cd98f00b204e9800998ecf8427e",
): Uint8Array {
  const B = boundary;
  return bytes(
    `--${B}\r\n`, field("Authorization", auth),
    `--${B}\r\n`, field("Content-Type", mime),
    `--${B}\r\n`, field("FileName", key),
    `--${B}\r\n`, field("Content-MD5", md5),
    `--${B}\r\n`, `Content-Disposition: form-data; name="file"; filename="${key}"\r\n`, `Content-Type: ${mime}\r\n\r\n`,
    content, "\r\n", `--${B}\r\n`, `\r\n--${B}--\r\n`,
  );
}
