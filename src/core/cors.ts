/**
 * CORS for browsers (docs/protocol.md §10, docs/s3.md): preflight answers, and every response exposes
 * the headers the front's browser clients read. Credentials are signatures, never cookies, so `*` is
 * safe. Each front names its policy: the methods it allows and the headers it exposes.
 */
export interface CorsPolicy {
  readonly methods: string;
  readonly exposed: string;
}

/** The UFile data plane: the browser SDK reads the session, range, storage-class and bookmark headers. */
export const UFILE_CORS: CorsPolicy = {
  methods: "GET, HEAD, PUT, POST, DELETE, OPTIONS",
  exposed:
    "ETag, X-SessionId, Content-Range, Content-Length, X-Ufile-Storage-Class, X-Ufile-Restore, X-Ufile-Create-Time, X-Edgefile-Bookmark",
};

/** The S3 front: the AWS browser SDK reads the request id, checksums, storage class and user metadata. */
export const S3_CORS: CorsPolicy = {
  methods: "GET, HEAD, PUT, POST, DELETE",
  exposed:
    "ETag, x-amz-request-id, x-amz-version-id, Content-Range, Content-Length, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-sha1, x-amz-checksum-sha256, x-amz-storage-class, x-amz-meta-*",
};

export function preflight(request: Request, policy: CorsPolicy = UFILE_CORS): Response {
  return new Response(null, {
    status: 200,
    headers: {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": policy.methods,
      "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers") ?? "*",
      "Access-Control-Max-Age": "86400",
      "Access-Control-Expose-Headers": policy.exposed,
    },
  });
}

/** Adds the CORS headers; a response with immutable headers (a fetched one) is copied first. */
export function withCors(response: Response, policy: CorsPolicy = UFILE_CORS): Response {
  let out = response;
  try {
    out.headers.set("Access-Control-Allow-Origin", "*");
  } catch {
    out = new Response(response.body, response);
    out.headers.set("Access-Control-Allow-Origin", "*");
  }
  out.headers.set("Access-Control-Expose-Headers", policy.exposed);
  return out;
}
