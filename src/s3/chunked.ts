import { safeEqual, toBase64, toHex } from "../crypto";
import { checksumAlgorithmOf, checksumHeader, newChecksum, type Checksum, type ChecksumAlgorithm } from "./checksums";
import { s3Error } from "./errors";
import { ALGORITHM, hmac, sha256Hex } from "./sigv4";

/**
 * Streaming decoder of `Content-Encoding: aws-chunked` bodies (the payload modes that send
 * `x-amz-decoded-content-length`):
 *
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: `<hex size>;chunk-signature=<sig>\r\n<data>\r\n`…,
 *   a final 0-size chunk; each signature chains on the previous one, starting at the request's.
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: the same, then trailer lines and
 *   `x-amz-trailer-signature`.
 * - `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (what current AWS SDKs send by default):
 *   `<hex size>\r\n<data>\r\n`…, `0\r\n`, then trailers such as `x-amz-checksum-crc32:<b64>`.
 *
 * Data is passed on as it arrives (memory: one network chunk plus a header line of at most 4 KiB);
 * each chunk is hashed while it streams and checked when it ends. Any failure (bad signature,
 * checksum mismatch, wrong length, malformed framing) errors the output stream before it ends,
 * so a store fed from it never commits (docs/s3.md "Uploads").
 */

export const STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
export const STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
export const STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
export const STREAMING_MODES = [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER] as const;
export type StreamingMode = (typeof STREAMING_MODES)[number];

export const isStreamingMode = (payloadHash: string): payloadHash is StreamingMode => (STREAMING_MODES as readonly string[]).includes(payloadHash);

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const MAX_LINE = 4096;
const MAX_TRAILER_LINES = 16;

/** What chained chunk signatures start from: the verified request. */
export interface ChunkSigning {
  signingKey: CryptoKey;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

export interface ChunkedOptions {
  mode: StreamingMode;
  /** `x-amz-decoded-content-length`: the exact number of data bytes. */
  decodedLength: number;
  /** Required for the signed modes. */
  signing?: ChunkSigning;
  /** `x-amz-trailer`: the checksum the trailer carries, verified against the data. */
  trailer?: ChecksumAlgorithm;
  /** Receives the verified trailer checksum (base64), to echo in the response. */
  onChecksum?: (algorithm: ChecksumAlgorithm, base64: string) => void;
}

const malformed = (why: string) => s3Error("IncompleteBody", `malformed aws-chunked body: ${why}`);

/** Reads lines and byte runs from a stream, holding one network chunk at a time. */
class ByteReader {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (this.pos >= this.buf.byteLength) {
      const { value, done } = await this.reader.read();
      if (done) return false;
      this.buf = value;
      this.pos = 0;
    }
    return true;
  }

  /** A CRLF- (or LF-) terminated line without its terminator; null at a clean end of stream. */
  async line(): Promise<string | null> {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      if (!(await this.fill())) {
        if (length === 0) return null;
        throw malformed("the body ends inside a line");
      }
      const nl = this.buf.indexOf(10, this.pos);
      const end = nl < 0 ? this.buf.byteLength : nl;
      parts.push(this.buf.subarray(this.pos, end));
      length += end - this.pos;
      if (length > MAX_LINE) throw malformed(`a chunk header or trailer line is longer than ${MAX_LINE} bytes`);
      this.pos = nl < 0 ? this.buf.byteLength : nl + 1;
      if (nl >= 0) break;
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.byteLength;
    }
    const text = new TextDecoder().decode(bytes);
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  }

  /**
   * Up to `n` bytes (at least one) of the buffered network chunk; throws at end of stream. A view
   * when it reaches the end of that chunk (the reader is done with it), else a copy, so that a
   * consumer that transfers or keeps the bytes never shares a buffer the reader still reads.
   */
  async bytes(n: number): Promise<Uint8Array> {
    if (!(await this.fill())) throw malformed("the body ends inside a chunk");
    const take = Math.min(n, this.buf.byteLength - this.pos);
    const start = this.pos;
    this.pos += take;
    return this.pos === this.buf.byteLength ? this.buf.subarray(start) : this.buf.slice(start, this.pos);
  }

  cancel(reason: unknown): Promise<void> {
    return this.reader.cancel(reason);
  }
}

const CHUNK_HEADER = /^([0-9a-fA-F]{1,16})((?:;[^;]*)*)$/;

function parseChunkHeader(line: string, signed: boolean): { size: number; signature?: string } {
  const m = CHUNK_HEADER.exec(line.trim());
  if (!m) throw malformed(`bad chunk header "${line.slice(0, 80)}"`);
  const size = parseInt(m[1], 16);
  let signature: string | undefined;
  for (const ext of m[2].split(";").slice(1)) {
    const eq = ext.indexOf("=");
    if (eq > 0 && ext.slice(0, eq).trim() === "chunk-signature") signature = ext.slice(eq + 1).trim().toLowerCase();
  }
  if (signed && !signature) throw s3Error("SignatureDoesNotMatch", "a chunk carries no chunk-signature");
  return { size, signature };
}

/** The signature S3 expects for one chunk, chained on the previous one. */
async function chunkSignature(s: ChunkSigning, previous: string, dataSha256Hex: string): Promise<string> {
  const sts = `${ALGORITHM}-PAYLOAD\n${s.amzDate}\n${s.scope}\n${previous}\n${EMPTY_SHA256}\n${dataSha256Hex}`;
  return toHex(await hmac(s.signingKey, sts));
}

async function trailerSignature(s: ChunkSigning, previous: string, trailerText: string): Promise<string> {
  const sts = `${ALGORITHM}-TRAILER\n${s.amzDate}\n${s.scope}\n${previous}\n${await sha256Hex(trailerText)}`;
  return toHex(await hmac(s.signingKey, sts));
}

class Sha256Stream {
  private readonly stream = new crypto.DigestStream("SHA-256");
  private readonly writer = this.stream.getWriter();
  write(b: Uint8Array) {
    return this.writer.write(b);
  }
  async hex(): Promise<string> {
    await this.writer.close();
    return toHex(await this.stream.digest);
  }
}

/** The decoded data of an aws-chunked body, verified as it streams (see the module comment). */
export function decodeAwsChunked(body: ReadableStream<Uint8Array>, opts: ChunkedOptions): ReadableStream<Uint8Array> {
  const signed = opts.mode !== STREAMING_UNSIGNED_TRAILER;
  if (signed && !opts.signing) throw new Error("decodeAwsChunked: a signed mode needs the request's signing context");
  const input = new ByteReader(body.getReader());
  const checksum: Checksum | null = opts.trailer ? newChecksum(opts.trailer) : null;
  let previous = opts.signing?.seedSignature ?? "";
  let received = 0;
  let chunk: { left: number; signature?: string; hash: Sha256Stream | null } | null = null;
  let finished = false;

  /** Reads the trailer section after the final chunk and checks it. */
  async function readTrailers(): Promise<void> {
    const lines: [string, string][] = [];
    let trailerSig: string | undefined;
    for (let i = 0; ; i++) {
      const line = await input.line();
      if (line === null || line === "") break;
      if (i >= MAX_TRAILER_LINES) throw malformed("too many trailer lines");
      const colon = line.indexOf(":");
      if (colon <= 0) throw malformed(`bad trailer line "${line.slice(0, 80)}"`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "x-amz-trailer-signature") trailerSig = value.toLowerCase();
      else lines.push([name, value]);
    }
    if (opts.mode === STREAMING_SIGNED_TRAILER) {
      const text = lines.map(([n, v]) => `${n}:${v}\n`).join("");
      const expected = await trailerSignature(opts.signing!, previous, text);
      if (!trailerSig || !safeEqual(expected, trailerSig)) throw s3Error("SignatureDoesNotMatch", "the trailer signature does not match");
    }
    if (opts.trailer && checksum) {
      const name = checksumHeader(opts.trailer);
      const sent = lines.find(([n]) => n === name)?.[1];
      if (sent === undefined) throw s3Error("InvalidRequest", `the body announced a ${name} trailer but did not send it`);
      const got = toBase64(await checksum.digest());
      if (got !== sent) throw s3Error("BadDigest", `The ${opts.trailer.toUpperCase()} you specified did not match the calculated checksum.`);
      opts.onChecksum?.(opts.trailer, got);
    }
  }

  /** The next piece of data, or null once the body is complete and verified. */
  async function next(): Promise<Uint8Array | null> {
    for (;;) {
      if (finished) return null;
      if (chunk === null) {
        const line = await input.line();
        if (line === null) throw malformed("the body ends before the final chunk");
        const header = parseChunkHeader(line, signed);
        if (received + header.size > opts.decodedLength) throw malformed("the chunks hold more than x-amz-decoded-content-length bytes");
        chunk = { left: header.size, signature: header.signature, hash: signed ? new Sha256Stream() : null };
        if (header.size === 0) {
          await endChunk();
          if (received !== opts.decodedLength) throw s3Error("IncompleteBody", `the chunks hold ${received} bytes, x-amz-decoded-content-length says ${opts.decodedLength}`);
          if (opts.mode !== STREAMING_SIGNED) await readTrailers();
          finished = true;
          return null;
        }
      }
      if (chunk.left > 0) {
        const data = await input.bytes(chunk.left);
        chunk.left -= data.byteLength;
        received += data.byteLength;
        await Promise.all([chunk.hash?.write(data), checksum?.update(data)]);
        if (chunk.left === 0) {
          await endChunk();
          const crlf = await input.line();
          if (crlf !== "") throw malformed("a chunk's data is not followed by CRLF");
          chunk = null;
        }
        return data;
      }
    }
  }

  async function endChunk(): Promise<void> {
    const c = chunk!;
    if (signed) {
      const expected = await chunkSignature(opts.signing!, previous, await c.hash!.hex());
      if (!safeEqual(expected, c.signature!)) throw s3Error("SignatureDoesNotMatch", "a chunk signature does not match");
      previous = expected;
    }
  }

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const data = await next();
      if (data === null) controller.close();
      else controller.enqueue(data);
    },
    cancel(reason) {
      return input.cancel(reason);
    },
  });
}

/** `x-amz-decoded-content-length`, required with aws-chunked. */
export function decodedContentLength(headers: Headers): number {
  const raw = headers.get("x-amz-decoded-content-length");
  if (raw === null) throw s3Error("LengthRequired", "x-amz-decoded-content-length is required with aws-chunked");
  if (!/^\d{1,15}$/.test(raw.trim())) throw s3Error("InvalidArgument", "x-amz-decoded-content-length must be a whole number");
  return Number(raw.trim());
}

/** `x-amz-trailer` → the checksum algorithm it announces (only checksum trailers are supported). */
export function announcedTrailer(headers: Headers): ChecksumAlgorithm | undefined {
  const raw = headers.get("x-amz-trailer");
  if (raw === null || raw.trim() === "") return undefined;
  return checksumAlgorithmOf(raw);
}
