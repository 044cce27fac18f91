import { describe, expect, it } from "vitest";
import { outcome as code } from "./helpers";
import { canonicalQuery, canonicalUris, presignUrl, uriEncode, verifySigV4, type SecretLookup } from "../src/s3/sigv4";

/**
 * AWS's published S3 SigV4 examples ("Signature Calculations for the Authorization Header:
 * Transferring Payload in a Single Chunk" and "Query String Authentication").
 */
const AKID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EXAMPLE_TIME = Date.UTC(2013, 4, 24, 0, 0, 0) / 1000;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const lookup: SecretLookup<string> = async (id) => (id === AKID ? { privateKey: SECRET, principal: "example" } : null);

const auth = (signedHeaders: string, signature: string) =>
  `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;

function verify(request: Request, now = EXAMPLE_TIME) {
  const url = new URL(request.url);
  const form = request.headers.has("Authorization") ? "header" : "query";
  return verifySigV4(request, url, form, lookup, now);
}


describe("SigV4, AWS example vectors", () => {
  it("GET Object with Range", async () => {
    const req = new Request("https://examplebucket.s3.amazonaws.com/test.txt", {
      headers: {
        Range: "bytes=0-9",
        "x-amz-content-sha256": EMPTY_SHA256,
        "x-amz-date": "20130524T000000Z",
        Authorization: auth("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
      },
    });
    const v = await verify(req);
    expect(v.principal).toBe("example");
    expect(v.scope).toBe("20130524/us-east-1/s3/aws4_request");
  });

  it("PUT Object with a body hash, Date header and a $ in the key", async () => {
    const req = new Request("https://examplebucket.s3.amazonaws.com/test$file.text", {
      method: "PUT",
      body: "Welcome to Amazon S3.",
      headers: {
        Date: "Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "x-amz-content-sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        Authorization: auth(
          "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
          "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        ),
      },
    });
    expect(await code(verify(req))).toBe("ok");
  });

  it("GET Bucket Lifecycle (a flag sub-resource)", async () => {
    const req = new Request("https://examplebucket.s3.amazonaws.com/?lifecycle", {
      headers: {
        "x-amz-date": "20130524T000000Z",
        "x-amz-content-sha256": EMPTY_SHA256,
        Authorization: auth("host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
      },
    });
    expect(await code(verify(req))).toBe("ok");
  });

  it("GET Bucket (List Objects) with a sorted query", async () => {
    const req = new Request("https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J", {
      headers: {
        "x-amz-date": "20130524T000000Z",
        "x-amz-content-sha256": EMPTY_SHA256,
        Authorization: auth("host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
      },
    });
    expect(await code(verify(req))).toBe("ok");
  });

  it("a presigned GET (query string authentication)", async () => {
    const url =
      "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
      `&X-Amz-Credential=${AKID}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z` +
      "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
      "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    expect(await code(verify(new Request(url), EXAMPLE_TIME + 3600))).toBe("ok");
    // Expired one second after its 86400 s.
    expect(await code(verify(new Request(url), EXAMPLE_TIME + 86401))).toBe("RequestExpired");
    // Any change to what was signed breaks it.
    expect(await code(verify(new Request(url.replace("test.txt", "test2.txt")), EXAMPLE_TIME))).toBe("SignatureDoesNotMatch");
    expect(await code(verify(new Request(url + "&uploads"), EXAMPLE_TIME))).toBe("SignatureDoesNotMatch");
    expect(await code(verify(new Request(url, { method: "PUT" }), EXAMPLE_TIME))).toBe("SignatureDoesNotMatch");
  });
});

describe("SigV4 refusals", () => {
  const base = {
    "x-amz-content-sha256": EMPTY_SHA256,
    "x-amz-date": "20130524T000000Z",
    Range: "bytes=0-9",
  };
  const good = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
  const req = (headers: Record<string, string>, url = "https://examplebucket.s3.amazonaws.com/test.txt") => new Request(url, { headers });

  it("clock skew beyond 15 minutes either way", async () => {
    const r = req({ ...base, Authorization: auth("host;range;x-amz-content-sha256;x-amz-date", good) });
    expect(await code(verify(r, EXAMPLE_TIME + 15 * 60))).toBe("ok");
    expect(await code(verify(r, EXAMPLE_TIME + 15 * 60 + 1))).toBe("RequestTimeSkewed");
    expect(await code(verify(r, EXAMPLE_TIME - 15 * 60 - 1))).toBe("RequestTimeSkewed");
  });

  it("a wrong signature, an unknown key, a changed signed header, malformed headers", async () => {
    const signed = "host;range;x-amz-content-sha256;x-amz-date";
    expect(await code(verify(req({ ...base, Authorization: auth(signed, good.replace(/^f/, "0")) })))).toBe("SignatureDoesNotMatch");
    expect(await code(verify(req({ ...base, Range: "bytes=0-10", Authorization: auth(signed, good) })))).toBe("SignatureDoesNotMatch");
    expect(await code(verify(req({ ...base, Authorization: auth(signed, good).replace(AKID, "AKIDUNKNOWN") })))).toBe("InvalidAccessKeyId");
    expect(await code(verify(req({ ...base, Authorization: "AWS4-HMAC-SHA256 Credential=x" })))).toBe("AuthorizationHeaderMalformed");
    expect(await code(verify(req({ ...base, Authorization: auth("range;x-amz-content-sha256;x-amz-date", good) })))).toBe("AuthorizationHeaderMalformed");
    const { "x-amz-content-sha256": _, ...noHash } = base;
    expect(await code(verify(req({ ...noHash, Authorization: auth(signed, good) })))).toBe("InvalidRequest");
  });

  it("presigned: expiry out of range is AccessDenied (as AWS), missing parameters are malformed", async () => {
    const u = new URL(await presignUrl("GET", "https://b.example/k", { accessKeyId: AKID, secret: SECRET }, { now: new Date(EXAMPLE_TIME * 1000) }));
    expect(await code(verify(new Request(u), EXAMPLE_TIME))).toBe("ok");
    for (const expires of ["604801", "0", "-5"]) {
      u.searchParams.set("X-Amz-Expires", expires);
      expect(await code(verify(new Request(u), EXAMPLE_TIME))).toBe("AccessDenied");
    }
    u.searchParams.set("X-Amz-Expires", "soon");
    expect(await code(verify(new Request(u), EXAMPLE_TIME))).toBe("AuthorizationQueryParametersError");
    u.searchParams.delete("X-Amz-Date");
    expect(await code(verify(new Request(u), EXAMPLE_TIME))).toBe("AuthorizationQueryParametersError");
  });
});

describe("Accept-Encoding rewritten on the way in", () => {
  it("a signature over Accept-Encoding: gzip still verifies when the runtime shows another value", async () => {
    const url = "https://b.example/k";
    const signedReq = new Request(url, { headers: { "accept-encoding": "gzip" } });
    const at = new Date(EXAMPLE_TIME * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const { canonicalHeaders, canonicalRequest, signingKey, stringToSign, hmac } = await import("../src/s3/sigv4");
    const signed = ["accept-encoding", "host", "x-amz-content-sha256", "x-amz-date"];
    const headers = { "accept-encoding": "gzip", host: "b.example", "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": at };
    const canonical = canonicalRequest("GET", "/k", "", canonicalHeaders(new Request(url, { headers }), new URL(url), signed), signed, EMPTY_SHA256);
    const key = await signingKey(SECRET, at.slice(0, 8), "us-east-1", "s3");
    const sig = [...(await hmac(key, await stringToSign(at, `${at.slice(0, 8)}/us-east-1/s3/aws4_request`, canonical)))].map((b) => b.toString(16).padStart(2, "0")).join("");
    const authz = `AWS4-HMAC-SHA256 Credential=${AKID}/${at.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=${signed.join(";")}, Signature=${sig}`;
    expect(signedReq.headers.get("accept-encoding")).toBe("gzip");
    const rewritten = new Request(url, { headers: { ...headers, "accept-encoding": "br, gzip", Authorization: authz } });
    expect(await code(verify(rewritten))).toBe("ok");
    // Any other signed header still has to match exactly.
    const changed = new Request(url, { headers: { ...headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", Authorization: authz } });
    expect(await code(verify(changed))).toBe("SignatureDoesNotMatch");
  });
});

describe("canonical forms", () => {
  it("encodes the AWS way: unreserved kept, the rest upper-case %XX, / kept only in paths", () => {
    expect(uriEncode("a b/c~d*é", true)).toBe("a%20b/c~d%2A%C3%A9");
    expect(uriEncode("a/b", false)).toBe("a%2Fb");
  });

  it("does not double-encode a path, and offers the raw path as a second candidate", () => {
    expect(canonicalUris(new URL("https://h/b/a%20b"))).toEqual(["/b/a%20b"]);
    expect(canonicalUris(new URL("https://h/b/a%2fb"))).toEqual(["/b/a/b", "/b/a%2fb"]);
    expect(canonicalUris(new URL("https://h/b/it's"))).toEqual(["/b/it%27s", "/b/it's"]);
  });

  it("sorts the query by name then value, flags get an empty value", () => {
    expect(canonicalQuery(new URL("https://h/?uploads&prefix=a%20b&max-keys=2&a=2&a=1"), "header")).toBe("a=1&a=2&max-keys=2&prefix=a%20b&uploads=");
    expect(canonicalQuery(new URL("https://h/?X-Amz-Signature=x&b=1"), "query")).toBe("b=1");
  });
});
