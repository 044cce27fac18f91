/**
 * The limits of issue 19 over real HTTP: one key rule on every front, bounded stored headers (and so
 * bounded listings), open multipart uploads that cost what they store and are limited in number.
 * Each attack of the issue is repeated and must be refused, and leave the bucket as it was: its
 * counters (DescribeBucket's StoredBytes and ObjectCount), its listing and its open uploads.
 */
import { createHmac } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { control, file, newBucket, putFile, request, type WireResponse } from "./client";
import { ROOT_ACCESS_KEY, s3BucketName, s3Client, s3Failure } from "./s3-helpers";

const MiB = 1024 * 1024;

/** What must not move when a write is refused: the bucket's counters and its listing. */
async function bucketState(bucket: string) {
  const { body } = await control({ Action: "DescribeBucket", BucketName: bucket });
  const set = body.DataSet[0];
  const listing = await file(bucket, "", { query: "listobjects&max-keys=1000", signedKey: "" });
  const uploads = await file(bucket, "", { query: "muploadid&limit=1000", signedKey: "" });
  return {
    storedBytes: set.StoredBytes as number,
    objectCount: set.ObjectCount as number,
    keys: (listing.json().Contents as { Key: string }[]).map((c) => c.Key),
    uploads: (uploads.json().DataSet as { UploadId: string }[]).length,
  };
}

function expectDataError(res: WireResponse, status: number, code: number): void {
  expect(res.status, res.text()).toBe(status);
  expect(res.json().RetCode).toBe(code);
}

function expectS3Error(res: WireResponse, status: number, code: string): void {
  expect(res.status, res.text()).toBe(status);
  expect(res.text()).toContain(`<Code>${code}</Code>`);
}

// ───────────────────────── POST policy forms ─────────────────────────

const hmac = (key: string | Buffer, text: string) => createHmac("sha256", key).update(text).digest();

/** A signed POST policy allowing `key` to start with `prefix`, and `extra` conditions. */
function policyFields(bucket: string, prefix: string, extra: unknown[] = []) {
  const now = new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, "");
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const credential = `${ROOT_ACCESS_KEY.accessKeyId}/${date}/us-east-1/s3/aws4_request`;
  const conditions = [{ bucket }, { "x-amz-algorithm": "AWS4-HMAC-SHA256" }, { "x-amz-credential": credential }, { "x-amz-date": amzDate }, ["starts-with", "$key", prefix], ...extra];
  const policy = Buffer.from(JSON.stringify({ expiration: new Date(Date.now() + 600_000).toISOString(), conditions })).toString("base64");
  let key: Buffer = hmac("AWS4" + ROOT_ACCESS_KEY.secretAccessKey, date);
  for (const part of ["us-east-1", "s3", "aws4_request"]) key = hmac(key, part);
  return { Policy: policy, "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": credential, "X-Amz-Date": amzDate, "X-Amz-Signature": createHmac("sha256", key).update(policy).digest("hex") };
}

function postForm(bucket: string, fields: Record<string, string>, filename: string, content = "planted") {
  const boundary = "----limits" + Math.random().toString(16).slice(2);
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`);
  return request({ method: "POST", path: `/${bucket}`, headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` }, body: parts.join("") });
}

/** A bucket made through the control plane (so DescribeBucket sees it), with one object in it. */
async function bucketWithOneObject(type: "public" | "private" = "public"): Promise<string> {
  const bucket = await newBucket(type);
  await putFile(bucket, "uploads/keep.txt", "kept", "text/plain");
  return bucket;
}

describe("one key rule on every front", () => {
  it("PostObject: key=uploads/${filename} with the filename ../../../../escaped.txt is refused, and nothing is stored", async () => {
    const bucket = await bucketWithOneObject();
    const before = await bucketState(bucket);
    const res = await postForm(bucket, { key: "uploads/${filename}", ...policyFields(bucket, "uploads/") }, "../../../../escaped.txt");
    expectS3Error(res, 400, "InvalidRequest");
    expect(res.text()).toContain("path segments");
    expect(await bucketState(bucket)).toEqual(before);
    expect((await request({ path: `/${bucket}/escaped.txt` })).status).toBe(404);
  });

  it("a 60,000-character key is refused by PostObject, PutObject, CreateMultipartUpload and PutFile, and nothing is stored", async () => {
    const bucket = await bucketWithOneObject();
    const before = await bucketState(bucket);
    const long = "uploads/" + "k".repeat(60_000);
    const post = await postForm(bucket, { key: long, ...policyFields(bucket, "uploads/") }, "x.txt");
    expectS3Error(post, 400, "KeyTooLongError");
    const s3 = s3Client();
    for (const command of [new PutObjectCommand({ Bucket: bucket, Key: long, Body: "x" }), new CreateMultipartUploadCommand({ Bucket: bucket, Key: long })]) {
      const failure = await s3Failure(s3.send(command));
      expect([failure.name, failure.status]).toEqual(["KeyTooLongError", 400]);
    }
    expectDataError(await file(bucket, "uploads/" + "k".repeat(2000), { method: "PUT", body: "x", headers: { "Content-Type": "text/plain" } }), 400, -91022);
    expectDataError(await file(bucket, "tab\there", { method: "PUT", body: "x", headers: { "Content-Type": "text/plain" } }), 400, -90001);
    expect(await bucketState(bucket)).toEqual(before);
  });

  it("S3 CreateMultipartUpload refuses control characters; UFile Copy and Rename refuse bad targets", async () => {
    const bucket = await bucketWithOneObject();
    const before = await bucketState(bucket);
    const failure = await s3Failure(s3Client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "uploads/\u0001escaped" })));
    expect([failure.name, failure.status]).toEqual(["InvalidRequest", 400]);
    const copy = await file(bucket, "x".repeat(1025), { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${bucket}/uploads/keep.txt` } });
    expectDataError(copy, 400, -91022);
    const rename = await file(bucket, "uploads/keep.txt", { method: "PUT", query: `newFileName=${encodeURIComponent("a/\u0007/b")}` });
    expectDataError(rename, 400, -90001);
    expect(await bucketState(bucket)).toEqual(before);
  });

  it("a policy-approved success_action_redirect that is not a URL is refused before anything is stored", async () => {
    const bucket = await bucketWithOneObject();
    const before = await bucketState(bucket);
    const fields = { key: "uploads/r.txt", success_action_redirect: "not a url", ...policyFields(bucket, "uploads/", [{ success_action_redirect: "not a url" }]) };
    expectS3Error(await postForm(bucket, fields, "r.txt"), 400, "InvalidArgument");
    const script = { key: "uploads/r.txt", success_action_redirect: "javascript:alert(1)", ...policyFields(bucket, "uploads/", [{ success_action_redirect: "javascript:alert(1)" }]) };
    expectS3Error(await postForm(bucket, script, "r.txt"), 400, "InvalidArgument");
    expect(await bucketState(bucket)).toEqual(before);
    const good = { key: "uploads/r.txt", success_action_redirect: "https://app.example/done", ...policyFields(bucket, "uploads/", [{ success_action_redirect: "https://app.example/done" }]) };
    const res = await postForm(bucket, good, "r.txt");
    expect(res.status, res.text()).toBe(303);
    expect(res.headers.location).toMatch(/^https:\/\/app\.example\/done\?bucket=/);
  });
});

// ───────────────────────── bounded metadata ─────────────────────────

describe("stored headers are bounded", () => {
  it("a 120 KB Content-Type (UFile PutFile, S3 PutObject) and 60,000-character standard headers (S3) are refused, and nothing is stored", async () => {
    const bucket = await bucketWithOneObject();
    const before = await bucketState(bucket);
    const huge = "text/plain; x=" + "a".repeat(120_000);
    expectDataError(await file(bucket, "big-type", { method: "PUT", body: "x", headers: { "Content-Type": huge } }), 400, -90020);
    const s3 = s3Client();
    const headers = {
      ContentType: huge,
      ContentDisposition: "attachment; filename=" + "d".repeat(60_000),
      CacheControl: "max-age=" + "1".repeat(60_000),
      ContentEncoding: "e".repeat(60_000),
      ContentLanguage: "l".repeat(60_000),
    };
    for (const [name, value] of Object.entries(headers)) {
      const failure = await s3Failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `big-${name}`, Body: "x", [name]: value })));
      expect([name, failure.name, failure.status]).toEqual([name, "InvalidArgument", 400]);
    }
    const mp = await s3Failure(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "big-mp", ContentType: huge })));
    expect([mp.name, mp.status]).toEqual(["InvalidArgument", 400]);
    expect(await bucketState(bucket)).toEqual(before);
  });

  it("a form field that no header could carry is refused, not stored (it would break every later GET)", async () => {
    const bucket = await bucketWithOneObject();
    const before = await bucketState(bucket);
    const fields = { key: "uploads/f.txt", "Content-Type": "text/plain\u2028evil", ...policyFields(bucket, "uploads/", [["starts-with", "$Content-Type", ""]]) };
    expectS3Error(await postForm(bucket, fields, "f.txt"), 400, "InvalidArgument");
    expect(await bucketState(bucket)).toEqual(before);
  });

  it("a listing of objects holding every maximal header stays bounded per entry (so a 1000-key page stays a few MiB): UFile ListObjects and S3 ListObjectsV2", async () => {
    const bucket = await newBucket("public");
    const n = 12;
    const maxType = "text/plain; x=" + "t".repeat(1024 - 14);
    const meta = { "X-Ufile-Meta-M": "m".repeat(2048 - 1) };
    for (let i = 0; i < n; i++) {
      const key = `${String(i).padStart(4, "0")}-` + "k".repeat(1024 - 5);
      const res = await file(bucket, key, { method: "PUT", body: "x", headers: { "Content-Type": maxType, ...meta } });
      expect(res.status, res.text()).toBe(200);
    }
    const ufile = await file(bucket, "", { query: "listobjects&max-keys=1000", signedKey: "" });
    expect(ufile.json().Contents.length).toBe(n);
    const signed = new URL(await getSignedUrl(s3Client(), new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }), { expiresIn: 600 }));
    const s3 = await request({ path: signed.pathname + signed.search });
    expect(s3.status, s3.text()).toBe(200);
    // Each entry carries at most a 1024-byte key, a 1024-byte type and 2 KiB of user metadata.
    const perEntry = { ufile: ufile.body.byteLength / n, s3: s3.body.byteLength / n };
    expect(perEntry.ufile).toBeLessThan(4.5 * 1024);
    expect(perEntry.s3).toBeLessThan(1.5 * 1024);
  });
});

// ───────────────────────── multipart uploads ─────────────────────────

describe("open multipart uploads cost what they store", () => {
  it("20 UploadPartCopy of a 5 MiB object count 100 MiB toward the bucket until the upload is aborted", async () => {
    const s3 = s3Client();
    const bucket = s3BucketName("copies");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "five", Body: Buffer.alloc(5 * MiB, 7) }));
    const before = await bucketState(bucket);
    expect(before.storedBytes).toBe(5 * MiB);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "copied" }));
    for (let part = 1; part <= 20; part++) {
      await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "copied", UploadId, PartNumber: part, CopySource: `${bucket}/five` }));
    }
    const open = await bucketState(bucket);
    expect(open.storedBytes).toBe(21 * 5 * MiB);
    expect([open.objectCount, open.uploads]).toEqual([1, 1]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "copied", UploadId }));
    expect(await bucketState(bucket)).toEqual(before);
  });

  it("300 CreateMultipartUpload calls: a bucket holds at most MULTIPART_MAX_OPEN_UPLOADS (100) open, the rest are refused and leave nothing", async () => {
    const s3 = s3Client();
    const bucket = s3BucketName("many");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const outcomes: string[] = [];
    for (let batch = 0; batch < 30; batch++) {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `u/${batch * 10 + i}` }))),
      );
      for (const r of results) outcomes.push(r.status === "fulfilled" ? "ok" : `${(r.reason as { name: string }).name} ${(r.reason as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode}`);
    }
    expect(outcomes.filter((o) => o === "ok").length).toBe(100);
    expect(new Set(outcomes.filter((o) => o !== "ok"))).toEqual(new Set(["TooManyUploads 400"]));
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(listed.Uploads?.length).toBe(100);
    // UFile's InitiateMultipartUpload on the same bucket is refused too, in its own format.
    expectDataError(await file(bucket, "k", { method: "POST", query: "uploads" }), 403, -90021);
    // One aborted upload makes room for one more.
    const first = listed.Uploads![0]!;
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: first.Key, UploadId: first.UploadId }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "u/again" }));
    expect((await s3Failure(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "u/one-more" })))).name).toBe("TooManyUploads");
  });
});
