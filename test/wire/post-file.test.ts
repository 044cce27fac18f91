import { describe, expect, it } from "vitest";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { authorization, file, newBucket, request, server, type WireResponse } from "./client";
import { s3BucketName, s3Client } from "./s3-helpers";

/**
 * PostFile (UFile browser form upload) over real HTTP: a refusal decided before the file part is read
 * (credentials, key, fields) still reaches a client that is sending a large file, as an API error.
 * (wrangler dev's proxy delivers these answers even without the drain; test/post-file.test.ts
 * asserts inside the runtime that the refused body is read to its end.)
 */

const B = "wire-post-file-6c2a";
const field = (name: string, value: string) => `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

/** A form as the Go SDK builds it: signature, content type, key and MD5 fields, then the file part. */
function form(fields: Record<string, string>, content: string): string {
  return (
    Object.entries(fields)
      .map(([k, v]) => field(k, v))
      .join("") + `--${B}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${B}--\r\n`
  );
}

const post = (bucket: string, body: string, headers: Record<string, string> = {}): Promise<WireResponse> =>
  request({ method: "POST", host: `${bucket}.localhost:${server().port}`, path: "/", headers: { "Content-Type": `multipart/form-data; boundary=${B}`, ...headers }, body });

function expectRefusal(res: WireResponse, status: number, code: number): void {
  expect(res.status, res.text()).toBe(status);
  expect(res.json().RetCode).toBe(code);
}

describe("PostFile over HTTP", () => {
  const big = "x".repeat(2 * 1024 * 1024);

  it("answers each refusal made before the file part after a 2 MiB file, and stores nothing", async () => {
    const bucket = await newBucket();
    const signed = (key: string, md5 = "") => authorization("POST", bucket, key, { contentType: "text/plain", contentMd5: md5 });

    expectRefusal(await post(bucket, form({ Authorization: "UCloud nobody:abc=", "Content-Type": "text/plain", FileName: "big.bin" }, big)), 403, -148658);
    expectRefusal(await post(bucket, form({ Authorization: signed("other.bin"), "Content-Type": "text/plain", FileName: "big.bin" }, big)), 403, -148658);
    expectRefusal(await post(bucket, form({ Authorization: signed("big.bin", "not-an-md5"), "Content-Type": "text/plain", FileName: "big.bin", "Content-MD5": "not-an-md5" }, big)), 400, -90001);
    expectRefusal(await post(bucket, form({ Authorization: signed(""), "Content-Type": "text/plain" }, big)), 400, -90011);
    expect((await file(bucket, "big.bin", { method: "HEAD" })).status).toBe(404);

    // The same form, signed for its key, stores the 2 MiB.
    const ok = await post(bucket, form({ Authorization: signed("big.bin"), "Content-Type": "text/plain", FileName: "big.bin" }, big));
    expect(ok.status, ok.text()).toBe(200);
    expect((await file(bucket, "big.bin", { method: "HEAD" })).headers["content-length"]).toBe(String(big.length));
  });

  it("stores the X-Ufile-Object-Acl it is sent; a bucket whose ACLs are disabled (BucketOwnerEnforced) refuses one with -91122", async () => {
    const bucket = await newBucket();
    const signed = (key: string) => authorization("POST", bucket, key, { contentType: "text/plain" });
    const open = await post(bucket, form({ Authorization: signed("open.txt"), "Content-Type": "text/plain", FileName: "open.txt" }, "open"), { "X-Ufile-Object-Acl": "public-read" });
    expect(open.status, open.text()).toBe(200);
    expect((await file(bucket, "open.txt", { query: "acl" })).json().AccessControlList.Grant).toBe("public-read");
    expect((await file(bucket, "open.txt", { auth: "none" })).text()).toBe("open");

    const enforced = s3BucketName("post-own");
    await s3Client().send(new CreateBucketCommand({ Bucket: enforced, ObjectOwnership: "BucketOwnerEnforced" }));
    const sign = (key: string) => authorization("POST", enforced, key, { contentType: "text/plain" });
    expectRefusal(await post(enforced, form({ Authorization: sign("open.txt"), "Content-Type": "text/plain", FileName: "open.txt" }, "open"), { "X-Ufile-Object-Acl": "public-read" }), 400, -91122);
    expect((await file(enforced, "open.txt", { method: "HEAD" })).status).toBe(404);
  });
});
