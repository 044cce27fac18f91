import { createHash, randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { beforeAll, describe, expect, it } from "vitest";
import { file, request } from "./client";
import { multipartForm, postPolicyFields, s3BucketName, s3Client, s3Failure, s3Path, signV4 } from "./s3-helpers";

/** A customer key as the SDK takes it (32 bytes, which it base64-encodes and hashes itself). */
const newKey = () => randomBytes(24).toString("base64"); // 32 ASCII characters: 32 bytes
const md5Of = (key: string) => createHash("md5").update(Buffer.from(key)).digest("base64");
const sse = (key: string) => ({ SSECustomerAlgorithm: "AES256", SSECustomerKey: key });
const copySse = (key: string) => ({ CopySourceSSECustomerAlgorithm: "AES256", CopySourceSSECustomerKey: key });

/**
 * SSE-C over the wire: the customer key goes to R2 and only its MD5 into the index; every read,
 * part and copy source needs that key, with S3's errors (400 without it or on an object stored
 * without one, 403 with another); the UFile plane refuses the object.
 */
describe("S3 SSE-C", () => {
  const s3 = s3Client();
  const bucket = s3BucketName("ssec");
  const keyA = newKey();
  const keyB = newKey();
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("PutObject with a key; GET/HEAD/GetObjectAttributes need that key, presigned and UFile reads without it fail", async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "secret", Body: "classified", ...sse(keyA) }));
    expect(put.SSECustomerAlgorithm).toBe("AES256");
    expect(put.SSECustomerKeyMD5).toBe(md5Of(keyA));
    expect(put.ServerSideEncryption).toBeUndefined();

    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "secret" })))).toMatchObject({ name: "InvalidRequest", status: 400 });
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "secret" })))).toMatchObject({ status: 400 });
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "secret", ...sse(keyB) })))).toMatchObject({ name: "AccessDenied", status: 403 });
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "secret", ...sse(keyA) }));
    expect(await got.Body!.transformToString()).toBe("classified");
    expect(got.SSECustomerKeyMD5).toBe(md5Of(keyA));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "secret", ...sse(keyA) }));
    expect(head.ContentLength).toBe(10);
    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "secret", Range: "bytes=0-4", ...sse(keyA) }));
    expect(await ranged.Body!.transformToString()).toBe("class");

    expect(await s3Failure(s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "secret", ObjectAttributes: ["ObjectSize"] })))).toMatchObject({ status: 400 });
    expect((await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "secret", ObjectAttributes: ["ObjectSize"], ...sse(keyA) }))).ObjectSize).toBe(10);

    // A presigned URL without the key reads nothing.
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "secret" }), { expiresIn: 600 });
    const presigned = await fetch(url);
    expect(presigned.status).toBe(400);
    expect(await presigned.text()).toContain("<Code>InvalidRequest</Code>");

    // The UFile plane takes no customer key: it refuses the object in its own format.
    for (const method of ["GET", "HEAD"] as const) {
      const ufile = await file(bucket, "secret", { method });
      expect(ufile.status).toBe(400);
      if (method === "GET") expect(ufile.json().RetCode).toBe(-90001);
    }

    // A key sent for an object stored without one is refused too.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "plain", Body: "open" }));
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "plain", ...sse(keyA) })))).toMatchObject({ name: "InvalidRequest", status: 400 });
  });

  it("incomplete or inconsistent key headers are refused before anything is stored", async () => {
    const raw = Buffer.from(keyA);
    const good = {
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": raw.toString("base64"),
      "x-amz-server-side-encryption-customer-key-MD5": createHash("md5").update(raw).digest("base64"),
    };
    const without = (name: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== name));
    const cases: [Record<string, string>, number, string][] = [
      [without("x-amz-server-side-encryption-customer-key"), 400, "InvalidArgument"],
      [without("x-amz-server-side-encryption-customer-key-MD5"), 400, "InvalidArgument"],
      [without("x-amz-server-side-encryption-customer-algorithm"), 400, "InvalidArgument"],
      [{ ...good, "x-amz-server-side-encryption-customer-key-MD5": "AAAAAAAAAAAAAAAAAAAAAA==" }, 400, "InvalidArgument"],
      [{ ...good, "x-amz-server-side-encryption-customer-algorithm": "AES128" }, 400, "InvalidEncryptionAlgorithmError"],
      [{ ...good, "x-amz-server-side-encryption": "AES256" }, 400, "InvalidArgument"],
      [{ ...good, "x-amz-server-side-encryption-customer-key": Buffer.alloc(16).toString("base64"), "x-amz-server-side-encryption-customer-key-MD5": createHash("md5").update(Buffer.alloc(16)).digest("base64") }, 400, "InvalidArgument"],
    ];
    for (const [headers, status, code] of cases) {
      const res = await request(signV4({ method: "PUT", path: s3Path(bucket, "refused"), headers, body: "x" }));
      expect(res.status, JSON.stringify(headers)).toBe(status);
      expect(res.text()).toContain(`<Code>${code}</Code>`);
      expect(res.text()).not.toContain(good["x-amz-server-side-encryption-customer-key"]);
    }
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "refused" })))).toMatchObject({ status: 404 });
  });

  it("a multipart upload under a key: every part needs it, the object reads back with it (partNumber too)", async () => {
    const part1 = randomBytes(5 * 1024 * 1024);
    const part2 = randomBytes(1234);
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp", ...sse(keyA) }));
    expect(created.SSECustomerKeyMD5).toBe(md5Of(keyA));
    const UploadId = created.UploadId!;
    // An upload's key missing or another one: 400 InvalidRequest, as AWS answers parts and completions (a read with another key is 403).
    expect(await s3Failure(s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId, PartNumber: 1, Body: part1 })))).toMatchObject({ name: "InvalidRequest", status: 400 });
    const otherKey = await s3Failure(s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId, PartNumber: 1, Body: part1, ...sse(keyB) })));
    expect(otherKey).toMatchObject({ name: "InvalidRequest", status: 400 });
    expect(otherKey.message).toContain("did not match the ones used originally");
    const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId, PartNumber: 1, Body: part1, ...sse(keyA) }));
    expect(p1.SSECustomerKeyMD5).toBe(md5Of(keyA));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId, PartNumber: 2, Body: part2, ...sse(keyA) }));
    const Parts = [{ ETag: p1.ETag, PartNumber: 1 }, { ETag: p2.ETag, PartNumber: 2 }];
    expect(await s3Failure(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp", UploadId, MultipartUpload: { Parts }, ...sse(keyB) })))).toMatchObject({ name: "InvalidRequest", status: 400 });
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp", UploadId, MultipartUpload: { Parts }, ...sse(keyA) }));
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp" })))).toMatchObject({ status: 400 });
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp", ...sse(keyA) }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([part1, part2]))).toBe(true);
    const second = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp", PartNumber: 2, ...sse(keyA) }));
    expect(second.PartsCount).toBe(2);
    expect(Buffer.from(await second.Body!.transformToByteArray()).equals(part2)).toBe(true);
  });

  it("copies: the source's key is needed to read it; a copy under another key, or none, is re-encrypted", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: "copy me", ...sse(keyA) }));
    expect(await s3Failure(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst", CopySource: `${bucket}/src` })))).toMatchObject({ name: "InvalidRequest", status: 400 });
    expect(await s3Failure(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst", CopySource: `${bucket}/src`, ...copySse(keyB) })))).toMatchObject({ status: 403 });
    // To a plain object: readable without a key afterwards.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst-plain", CopySource: `${bucket}/src`, ...copySse(keyA) }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst-plain" }))).Body!.transformToString()).toBe("copy me");
    // Under key B: only B reads it.
    const toB = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst-b", CopySource: `${bucket}/src`, ...copySse(keyA), ...sse(keyB) }));
    expect(toB.SSECustomerKeyMD5).toBe(md5Of(keyB));
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst-b", ...sse(keyA) })))).toMatchObject({ status: 403 });
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst-b", ...sse(keyB) }))).Body!.transformToString()).toBe("copy me");
    // Under the same key: the blob is shared, the key still needed.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst-a", CopySource: `${bucket}/src`, ...copySse(keyA), ...sse(keyA) }));
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst-a" })))).toMatchObject({ status: 400 });
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst-a", ...sse(keyA) }))).Body!.transformToString()).toBe("copy me");

    // UploadPartCopy: the source's key to read it, the upload's for the part.
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp-copy" }));
    expect(await s3Failure(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "mp-copy", UploadId, PartNumber: 1, CopySource: `${bucket}/src` })))).toMatchObject({ status: 400 });
    const part = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "mp-copy", UploadId, PartNumber: 1, CopySource: `${bucket}/src`, ...copySse(keyA) }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp-copy", UploadId, MultipartUpload: { Parts: [{ ETag: part.CopyPartResult!.ETag, PartNumber: 1 }] } }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp-copy" }))).Body!.transformToString()).toBe("copy me");
  });

  it("a POST form's SSE-C fields encrypt the file under that key; a wrong MD5 or SSE-KMS stores nothing", async () => {
    const post = (fields: Record<string, string>) => {
      const all = { ...fields, ...postPolicyFields(bucket, [["starts-with", "$key", "form/"], ...Object.keys(fields).filter((k) => k !== "key").map((k) => ["starts-with", `$${k}`, ""])]) };
      const f = multipartForm({ key: fields.key!, ...all }, "posted secret");
      return request({ method: "POST", path: `/${bucket}`, headers: { "Content-Type": f.contentType }, body: f.body });
    };
    const triple = (key: string) => ({
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": Buffer.from(key).toString("base64"),
      "x-amz-server-side-encryption-customer-key-MD5": md5Of(key),
    });
    const ok = await post({ key: "form/enc", ...triple(keyA) });
    expect(ok.status, ok.text()).toBe(204);
    expect(ok.headers["x-amz-server-side-encryption-customer-key-md5"]).toBe(md5Of(keyA));
    expect(ok.headers["x-amz-server-side-encryption"]).toBeUndefined();
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "form/enc" })))).toMatchObject({ status: 400 });
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "form/enc", ...sse(keyA) }))).Body!.transformToString()).toBe("posted secret");

    const badMd5 = await post({ key: "form/bad", ...triple(keyA), "x-amz-server-side-encryption-customer-key-MD5": md5Of(keyB) });
    expect(badMd5.status).toBe(400);
    expect(badMd5.text()).toContain("<Code>InvalidArgument</Code>");
    const kms = await post({ key: "form/kms", "x-amz-server-side-encryption": "aws:kms" });
    expect(kms.status).toBe(501);
    for (const key of ["form/bad", "form/kms"]) expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })))).toMatchObject({ status: 404 });
  });
});
