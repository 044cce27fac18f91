import { createHash, createHmac } from "node:crypto";
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { PRIVATE_KEY, PUBLIC_KEY, request } from "./client";
import { multipartForm, postPolicyFields, s3BucketName, s3Client } from "./s3-helpers";

/** Browser form upload (POST policy, SigV4) and CORS preflight, as a browser sends them. */

const policyFields = (bucket: string, conditions: unknown[], expiresInMs = 600_000) => postPolicyFields(bucket, conditions, { expiresInMs });
const form = multipartForm;

describe("S3 POST policy uploads and CORS", () => {
  const s3 = s3Client();
  const bucket = s3BucketName("post");
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  const post = (fields: Record<string, string>, file: string) => {
    const f = form(fields, file);
    return request({ method: "POST", path: `/${bucket}`, headers: { "Content-Type": f.contentType, Origin: "https://app.example" }, body: f.body });
  };

  it("a signed policy uploads under its key prefix, with ${filename}, and answers 201 XML when asked", async () => {
    const fields = { key: "uploads/${filename}", success_action_status: "201", ...policyFields(bucket, [["starts-with", "$key", "uploads/"], { success_action_status: "201" }, ["content-length-range", 1, 100]]) };
    const res = await post(fields, "hello form");
    expect(res.status, res.text()).toBe(201);
    expect(res.text()).toContain("<Key>uploads/photo.txt</Key>");
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "uploads/photo.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello form");
  });

  it("a condition that fails, a field the policy does not name, a size out of range, a bad signature are refused", async () => {
    const base = policyFields(bucket, [["starts-with", "$key", "uploads/"], ["content-length-range", 1, 5]]);
    const outside = await post({ key: "other/x", ...base }, "abc");
    expect(outside.status).toBe(403);
    expect(outside.text()).toContain("Policy Condition failed");
    const extra = await post({ key: "uploads/x", "x-amz-meta-extra": "1", ...base }, "abc");
    expect(extra.status).toBe(403);
    expect(extra.text()).toContain("Extra input fields");
    const big = await post({ key: "uploads/big", ...base }, "too long for the policy");
    expect(big.status).toBe(400);
    expect(big.text()).toContain("<Code>EntityTooLarge</Code>");
    const forged = await post({ key: "uploads/x", ...base, "X-Amz-Signature": "0".repeat(64) }, "abc");
    expect(forged.status).toBe(403);
    expect(forged.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect((await s3Failure404(`/${bucket}/uploads/big`))).toBe(true);
  });

  it("a form's x-amz-checksum-* field is verified (nothing stored on a mismatch) and kept with the object", async () => {
    const base = policyFields(bucket, [["starts-with", "$key", "sums/"]]);
    const sum = createHash("sha256").update("checked").digest("base64");
    const ok = await post({ key: "sums/ok", "x-amz-checksum-sha256": sum, ...base }, "checked");
    expect(ok.status, ok.text()).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sums/ok", ChecksumMode: "ENABLED" }));
    expect(head.ChecksumSHA256).toBe(sum);
    const wrong = await post({ key: "sums/wrong", "x-amz-checksum-sha256": sum, ...base }, "tampered");
    expect(wrong.status).toBe(400);
    expect(wrong.text()).toContain("<Code>BadDigest</Code>");
    // A malformed one is refused as such, after a 2 MiB file part (read and dropped, so the answer reaches the client).
    const malformed = await post({ key: "sums/wrong", "x-amz-checksum-sha256": "sailorjerry", ...base }, "x".repeat(2 * 1024 * 1024));
    expect(malformed.status).toBe(400);
    // So is any other refusal before the file is read: a key outside the policy's prefix.
    const outside = await post({ key: "elsewhere/big", ...base }, "x".repeat(2 * 1024 * 1024));
    expect(outside.status).toBe(403);
    expect(outside.text()).toContain("<Code>AccessDenied</Code>");
    expect(await s3Failure404(`/${bucket}/sums/wrong`)).toBe(true);
  });

  it("SigV2 forms: operators and field names are case-insensitive; a non-ISO expiration and a missing signature are 400", async () => {
    const v2 = (doc: unknown, signed = true) => {
      const policy = Buffer.from(JSON.stringify(doc)).toString("base64");
      const signature = createHmac("sha1", PRIVATE_KEY).update(policy).digest("base64");
      return { AWSAccessKeyId: PUBLIC_KEY, pOLICy: policy, ...(signed ? { signature } : {}) };
    };
    const later = new Date(Date.now() + 600_000);
    const conditions = [{ bUcKeT: bucket }, ["StArTs-WiTh", "$KeY", "v2/"], ["CoNtEnT-LeNgTh-RaNgE", 0, 100]];
    const ok = await post({ kEy: "v2/a.txt", ...v2({ expiration: later.toISOString(), conditions }) }, "v2 form");
    expect(ok.status, ok.text()).toBe(204);
    const wrongPrefix = await post({ kEy: "elsewhere.txt", ...v2({ expiration: later.toISOString(), conditions }) }, "v2 form");
    expect(wrongPrefix.status).toBe(403);

    const notIso = await post({ key: "v2/b.txt", ...v2({ expiration: later.toString(), conditions }) }, "x");
    expect(notIso.status).toBe(400);
    expect(notIso.text()).toContain("<Code>InvalidPolicyDocument</Code>");
    const unsigned = await post({ key: "v2/c.txt", ...v2({ expiration: later.toISOString(), conditions }, false) }, "x");
    expect(unsigned.status).toBe(400);
    expect(unsigned.text()).toContain("<Code>InvalidArgument</Code>");
    expect(await s3Failure404(`/${bucket}/v2/b.txt`)).toBe(true);
    expect(await s3Failure404(`/${bucket}/v2/c.txt`)).toBe(true);
  });

  it("success_action_status 200/201/204 answer S3's bodies; success_action_redirect names bucket, key and ETag; the tagging field tags the object", async () => {
    const conditions = [["starts-with", "$key", "done/"], ["starts-with", "$success_action_status", ""], ["starts-with", "$success_action_redirect", ""], ["starts-with", "$tagging", ""]];
    const base = policyFields(bucket, conditions);
    const created = await post({ key: "done/201.txt", success_action_status: "201", ...base }, "x");
    expect(created.status).toBe(201);
    expect(created.headers["content-type"]).toBe("application/xml");
    // S3's PostResponse is in no namespace: a client reading <Key> without one finds it.
    expect(created.text()).toMatch(/<PostResponse><Location>http:\/\/[^<]+\/done\/201\.txt<\/Location><Bucket>[^<]+<\/Bucket><Key>done\/201\.txt<\/Key><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><\/PostResponse>$/);
    for (const [status, want] of [["200", 200], ["204", 204], ["", 204], ["302", 204]] as const) {
      const res = await post({ key: `done/${status || "none"}.txt`, ...(status ? { success_action_status: status } : {}), ...base }, "x");
      expect(res.status, status).toBe(want);
      expect(res.text(), status).toBe("");
      expect(res.headers.etag, status).toMatch(/^"[0-9a-f]{32}"$/);
    }
    const redirect = "https://app.example/done?from=form";
    const moved = await post({ key: "done/r.txt", success_action_redirect: redirect, ...base }, "redirected");
    expect(moved.status).toBe(303);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "done/r.txt" }));
    const to = new URL(moved.headers.location!);
    expect(`${to.origin}${to.pathname}`).toBe("https://app.example/done");
    expect(Object.fromEntries(to.searchParams)).toEqual({ from: "form", bucket, key: "done/r.txt", etag: head.ETag });

    const tagging = "<Tagging><TagSet><Tag><Key>1</Key><Value>one</Value></Tag><Tag><Key>0</Key><Value></Value></Tag></TagSet></Tagging>";
    expect((await post({ key: "done/tagged.txt", tagging, ...base }, "x")).status).toBe(204);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "done/tagged.txt" }));
    expect(tags.TagSet).toEqual([{ Key: "0", Value: "" }, { Key: "1", Value: "one" }]);
    // A malformed or invalid tag set stores nothing.
    for (const bad of ["<Tagging><TagSet>", "<Tags/>", "<Tagging><TagSet><Tag><Key>a</Key></Tag><Tag><Key>a</Key></Tag></TagSet></Tagging>"]) {
      const res = await post({ key: "done/bad-tags.txt", tagging: bad, ...base }, "x");
      expect(res.status, bad).toBe(400);
      expect(res.text(), bad).toMatch(/<Code>(MalformedXML|InvalidTag)<\/Code>/);
    }
    expect(await s3Failure404(`/${bucket}/done/bad-tags.txt`)).toBe(true);
  });

  it("CORS preflight for a browser S3 client", async () => {
    const res = await request({ method: "OPTIONS", path: `/${bucket}/k`, headers: { Origin: "https://app.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-amz-date,authorization,content-type" } });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(res.headers["access-control-allow-methods"]).toContain("PUT");
    expect(res.headers["access-control-allow-headers"]).toBe("x-amz-date,authorization,content-type");
    expect(res.headers["access-control-expose-headers"]).toContain("ETag");
  });
});

/** The key does not exist (anonymous GET of a private bucket says 403; ask with credentials). */
async function s3Failure404(path: string): Promise<boolean> {
  const [bucket, ...key] = path.slice(1).split("/");
  try {
    await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key.join("/") }));
    return false;
  } catch (err) {
    return (err as { name: string }).name === "NoSuchKey";
  }
}
