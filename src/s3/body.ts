import { fromHex, toBase64 } from "../crypto";
import { ApiError } from "../errors";
import { requestBody, type UploadBody } from "../core/upload";
import { checksumFromHeaders, checksumHeader, digestStream, verifyingStream, type ChecksumAlgorithm, type ExpectedChecksum } from "./checksums";
import { announcedTrailer, decodeAwsChunked, decodedContentLength, isStreamingMode } from "./chunked";
import type { S3Context } from "./context";
import { UNSIGNED_PAYLOAD } from "./sigv4";

/**
 * The body of an S3 write as the core pipeline takes it: exact length, and a stream that is
 * decoded (aws-chunked) and verified as it flows (chunk signatures, `x-amz-content-sha256` when
 * it is a hash, `x-amz-checksum-*` header or trailer). Every check fails the stream before it
 * ends, so the R2 write it feeds stores nothing (docs/s3.md "Uploads").
 */
export interface S3Body {
  body: UploadBody;
  /** The checksum the client sent, once verified (echoed in the response, kept with the object). */
  checksum: () => ExpectedChecksum | undefined;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

const pipe = (stream: ReadableStream<Uint8Array>, through: TransformStream<Uint8Array, Uint8Array>[]) =>
  through.reduce((s, t) => s.pipeThrough(t), stream);

/**
 * `required`: the checksum algorithm the body must have (a part of an upload created with one).
 * A body that sends another algorithm is refused; one that sends none gets it computed, so the
 * part's checksum is known either way.
 */
export async function s3Body(c: S3Context, bufferLimit = c.settings.maxBufferedBodyBytes, required?: ChecksumAlgorithm): Promise<S3Body> {
  const headers = c.request.headers;
  const payloadHash = c.auth?.payloadHash ?? UNSIGNED_PAYLOAD;
  const whole = checksumFromHeaders(headers);
  let verified: ExpectedChecksum | undefined;
  const echo = (algorithm: ChecksumAlgorithm) => (value: string) => void (verified = { algorithm, value });
  const checks: TransformStream<Uint8Array, Uint8Array>[] = [];
  if (whole) checks.push(verifyingStream(whole.algorithm, () => whole.value, echo(whole.algorithm)));
  // `Content-Encoding: aws-chunked` with the body's own SHA-256 signed is a label only (the bytes are
  // verified as sent, and the label is never stored); with UNSIGNED-PAYLOAD it would be ambiguous.
  const chunkedLabel = /(^|,)\s*aws-chunked\s*(,|$)/i.test(headers.get("Content-Encoding") ?? "");
  const chunked = isStreamingMode(payloadHash) || (chunkedLabel && !SHA256_HEX.test(payloadHash));
  const trailer = chunked ? announcedTrailer(headers) : undefined;
  if (required) {
    const sent = whole?.algorithm ?? trailer;
    if (sent && sent !== required) {
      throw new ApiError("InvalidRequest", `Checksum Type mismatch occurred, expected checksum Type: ${required}, actual checksum Type: ${sent}`);
    }
    if (!sent) checks.push(digestStream(required, echo(required)));
  }

  if (chunked) {
    if (!isStreamingMode(payloadHash)) throw new ApiError("InvalidArgument", `aws-chunked needs a STREAMING-* x-amz-content-sha256 or the body's SHA-256, not ${payloadHash}`);
    if (!c.request.body) throw new ApiError("IncompleteBody", "the aws-chunked body is empty");
    const size = decodedContentLength(headers);
    const auth = c.auth!;
    const decoded = decodeAwsChunked(c.request.body, {
      mode: payloadHash,
      decodedLength: size,
      trailer,
      signing: { signingKey: auth.signingKey, amzDate: auth.amzDate, scope: auth.scope, seedSignature: auth.signature },
      onChecksum: (algorithm, value) => echo(algorithm)(value),
    });
    return { body: { size, stream: pipe(decoded, checks) }, checksum: () => verified };
  }

  const body = await requestBody(c.request, bufferLimit);
  if (!body) throw new ApiError("LengthRequired", `a body without Content-Length is limited to ${bufferLimit} bytes`);
  if (SHA256_HEX.test(payloadHash)) {
    const expected = toBase64(fromHex(payloadHash)!);
    checks.push(verifyingStream("sha256", () => expected, undefined, () => new ApiError("ContentSha256Mismatch")));
  } else if (payloadHash !== UNSIGNED_PAYLOAD) {
    throw new ApiError("InvalidArgument", `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-* or the SHA-256 of the body, not "${payloadHash}"`);
  }
  if (checks.length === 0) return { body, checksum: () => verified };
  const stream = body.buffered ? new Response(body.buffered).body! : body.stream!;
  return { body: { size: body.size, stream: pipe(stream, checks) }, checksum: () => verified };
}

/** The body size a request declares (x-amz-decoded-content-length with aws-chunked, else Content-Length), or null. */
export function declaredBodySize(headers: Headers): number | null {
  const raw = headers.get("x-amz-decoded-content-length") ?? headers.get("Content-Length");
  return raw !== null && /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : null;
}

export const checksumHeaders = (b: S3Body): Record<string, string> => {
  const c = b.checksum();
  return c ? { [checksumHeader(c.algorithm)]: c.value } : {};
};
