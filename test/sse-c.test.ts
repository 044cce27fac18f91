import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors";
import { customerKeyOf, keyForStored, keyForUpload, type CustomerKey } from "../src/core/sse-c";

/**
 * SSE-C key checks (core/sse-c.ts): a part or completion of an SSE-C multipart upload, and a read of an
 * SSE-C object, must carry the upload's or object's key; the key's MD5 is compared in constant time,
 * once per request.
 */

async function keyOf(seed: number): Promise<CustomerKey> {
  const raw = new Uint8Array(32).fill(seed);
  const md5 = new Uint8Array(await crypto.subtle.digest("MD5", raw));
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
  const headers = new Headers({
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": b64(raw),
    "x-amz-server-side-encryption-customer-key-MD5": b64(md5),
  });
  return (await customerKeyOf(headers))!;
}

const refusal = (run: () => unknown): string => {
  try {
    run();
    return "ok";
  } catch (err) {
    return err instanceof ApiError ? `${err.name}` : String(err);
  }
};

describe("SSE-C key checks", () => {
  it("an upload's key: its own passes; a missing, other or unexpected key is refused as S3 does", async () => {
    const [mine, other] = [await keyOf(1), await keyOf(2)];
    expect(keyForUpload(mine.md5, mine)).toBe(mine);
    expect(refusal(() => keyForUpload(mine.md5, other))).toBe("InvalidRequest");
    expect(refusal(() => keyForUpload(mine.md5, undefined))).toBe("InvalidRequest");
    expect(refusal(() => keyForUpload("", mine))).toBe("InvalidRequest");
    expect(keyForUpload("", undefined)).toBeUndefined();
  });

  it("a read's key: the object's passes, another is 403 AccessDenied, none is 400", async () => {
    const [mine, other] = [await keyOf(3), await keyOf(4)];
    expect(keyForStored(mine.md5, mine)).toBe(mine);
    expect(refusal(() => keyForStored(mine.md5, other))).toBe("AccessDenied");
    expect(refusal(() => keyForStored(mine.md5, undefined))).toBe("InvalidRequest");
  });
});
