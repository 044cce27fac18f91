import { describe, expect, it } from "vitest";
import { outcome as code } from "./helpers";
import { verifySigV2 } from "../src/s3/sigv2";
import type { SecretLookup } from "../src/s3/sigv4";

/**
 * SigV2 vectors signed by botocore 1.29 (`HmacV1Auth`, boto3's `signature_version="s3"`) with the
 * key pair below and a fixed Date: its sub-resource operations sign the operation's request URI
 * and then the sub-resources again (`/bkt?cors?cors`, boto/botocore#2962), Content-MD5 included.
 */
const AKID = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE = "Sun, 06 Dec 2026 01:42:47 GMT";
const NOW = Date.parse(DATE) / 1000;
const MD5 = "I3fWSmXXVa894NwKXo8Qdg==";
const lookup: SecretLookup<string> = async (id) => (id === AKID ? { privateKey: SECRET, principal: "example" } : null);

function verify(url: string, signature: string, bucket = "bkt") {
  const request = new Request(url, { method: "PUT", headers: { "Content-MD5": MD5, Date: DATE, Authorization: `AWS ${AKID}:${signature}` }, body: new Uint8Array([120]) });
  return verifySigV2(request, new URL(url), "header", { bucket, virtual: false }, lookup, NOW);
}


describe("SigV2, botocore's sub-resource operations", () => {
  it("PutBucketCors and PutObjectTagging verify as botocore signs them (Content-MD5 in the string, the sub-resource twice)", async () => {
    expect(await code(verify("http://s3.example.com/bkt?cors", "Pjib+Lzdf9aVeE2fiZ2DtdhLAUs="))).toBe("ok");
    expect(await code(verify("http://s3.example.com/bkt/k?tagging", "ffbcyOLXooDmHYmGN9LccOrdYFM="))).toBe("ok");
  });

  it("the doubled form names only its own request: another sub-resource, path or Content-MD5 does not match", async () => {
    expect(await code(verify("http://s3.example.com/bkt?tagging", "Pjib+Lzdf9aVeE2fiZ2DtdhLAUs="))).toBe("SignatureDoesNotMatch");
    expect(await code(verify("http://s3.example.com/bkt?acl&cors", "Pjib+Lzdf9aVeE2fiZ2DtdhLAUs="))).toBe("SignatureDoesNotMatch");
    expect(await code(verify("http://s3.example.com/bkt/k?cors", "Pjib+Lzdf9aVeE2fiZ2DtdhLAUs="))).toBe("SignatureDoesNotMatch");
    expect(await code(verify("http://s3.example.com/bkt2?cors", "Pjib+Lzdf9aVeE2fiZ2DtdhLAUs=", "bkt2"))).toBe("SignatureDoesNotMatch");
    const otherMd5 = new Request("http://s3.example.com/bkt?cors", {
      method: "PUT",
      headers: { "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", Date: DATE, Authorization: `AWS ${AKID}:Pjib+Lzdf9aVeE2fiZ2DtdhLAUs=` },
      body: new Uint8Array([120]),
    });
    expect(await code(verifySigV2(otherMd5, new URL(otherMd5.url), "header", { bucket: "bkt", virtual: false }, lookup, NOW))).toBe("SignatureDoesNotMatch");
  });
});
