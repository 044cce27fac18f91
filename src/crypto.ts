/** Small crypto and encoding helpers (Web Crypto only). */

// The encodings and SHA-1 the signers use live in the dependency-free signing module.
export { sha1, toBase64, toBase64Url, toHex, utf8 } from "./signing.mjs";

export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function fromBase64(b64: string): Uint8Array | null {
  try {
    const bin = atob(b64.replace(/-/g, "+").replace(/_/g, "/"));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/**
 * Constant-time string comparison (length is not secret: signatures have a fixed length). Every
 * UTF-16 code unit of both strings is compared, with no early exit: the time depends on the length
 * only, as `crypto.subtle.timingSafeEqual`'s does, without encoding both strings and calling into
 * the runtime on every signed request. Equal code units is equal UTF-8 bytes (and stricter for lone
 * surrogates, which an encoder would turn into the same U+FFFD).
 */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** `n` random characters of [0-9a-z]. */
export function randomBase36(n: number): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  const bytes = crypto.getRandomValues(new Uint8Array(n * 2));
  let out = "";
  for (let i = 0; out.length < n && i < bytes.length; i++) {
    if (bytes[i] < 252) out += alphabet[bytes[i] % 36]; // 252 = 7 × 36: no modulo bias
  }
  return out.length === n ? out : randomBase36(n);
}

/** One running native digest: `crypto.DigestStream` hashes each update as it arrives, nothing is buffered. */
export class RunningDigest {
  private readonly stream: DigestStream;
  private readonly writer: WritableStreamDefaultWriter<ArrayBuffer | ArrayBufferView>;

  constructor(algorithm: "SHA-1" | "SHA-256" | "MD5") {
    this.stream = new crypto.DigestStream(algorithm);
    this.writer = this.stream.getWriter();
  }

  update(bytes: Uint8Array): Promise<void> {
    return this.writer.write(bytes);
  }

  async digest(): Promise<Uint8Array> {
    await this.writer.close();
    return new Uint8Array(await this.stream.digest);
  }
}
