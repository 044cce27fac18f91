/**
 * The S3 canned ACL `public-read-write` (docs/security.md "Public buckets"): the owner lets anyone
 * write and delete objects of one bucket over S3. Anonymous PutObject, PostObject (a form without
 * policy) and DeleteObject then work on it, GetBucketAcl answers AllUsers READ and WRITE, the UFile
 * API sees the bucket as public (and its own plane still takes no anonymous write), and setting the
 * ACL back to `private` or `public-read` closes it again. Everything else stays refused anonymously.
 */
import { describe, expect, it } from "vitest";
import { CreateBucketCommand, GetBucketAclCommand, GetObjectCommand, PutBucketAclCommand } from "@aws-sdk/client-s3";
import { control, file, request } from "./client";
import { multipartForm, s3BucketName, s3Client, s3Failure, s3Path } from "./s3-helpers";

const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
const s3 = s3Client();
const anonymous = (method: string, bucket: string, key: string, body?: string, query = "") =>
  request({ method, path: s3Path(bucket, key) + query, body, headers: body === undefined ? {} : { "Content-Type": "text/plain" } });

async function publicWriteBucket(): Promise<string> {
  const bucket = s3BucketName("prw");
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: "public-read-write" }));
  return bucket;
}

describe("S3 public-read-write buckets", () => {
  it("take anonymous PutObject, PostObject and DeleteObject, and answer the grants they mean", async () => {
    const bucket = await publicWriteBucket();
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    expect(acl.Grants?.map((g) => [g.Grantee?.Type, g.Grantee?.URI ?? g.Grantee?.ID, g.Permission])).toEqual([
      ["Group", ALL_USERS, "READ"],
      ["Group", ALL_USERS, "WRITE"],
      ["CanonicalUser", acl.Owner?.ID, "FULL_CONTROL"],
    ]);

    const put = await anonymous("PUT", bucket, "anon.txt", "from anyone");
    expect(put.status, put.text()).toBe(200);
    const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "anon.txt" }));
    expect(await read.Body?.transformToString()).toBe("from anyone");
    expect((await anonymous("GET", bucket, "anon.txt")).text()).toBe("from anyone");

    const form = multipartForm({ key: "posted/${filename}", acl: "public-read", "Content-Type": "text/plain" }, "posted bytes", "p.txt");
    const post = await request({ method: "POST", path: s3Path(bucket), body: form.body, headers: { "Content-Type": form.contentType } });
    expect(post.status, post.text()).toBe(204);
    expect((await anonymous("GET", bucket, "posted/p.txt")).text()).toBe("posted bytes");

    expect((await anonymous("DELETE", bucket, "anon.txt")).status).toBe(204);
    expect((await anonymous("GET", bucket, "anon.txt")).status).toBe(404);
  });

  it("are public to the UFile API, whose own plane still takes no anonymous write", async () => {
    const bucket = await publicWriteBucket();
    const { body } = await control({ Action: "DescribeBucket", BucketName: bucket });
    expect(body.RetCode).toBe(0);
    expect(body.DataSet[0].Type).toBe("public");
    const ufilePut = await file(bucket, "ufile.txt", { method: "PUT", body: "x", auth: "none" });
    expect(ufilePut.status).toBe(403);
    expect((await anonymous("GET", bucket, "ufile.txt")).status).toBe(404);
  });

  it("refuse anonymous writes once the owner sets the ACL back, and anonymous bucket or multipart operations always", async () => {
    const bucket = await publicWriteBucket();
    // Nothing but object writes and deletes: multipart, ACLs, listings and the bucket itself stay closed.
    for (const [method, query] of [["POST", "?uploads"], ["PUT", "?acl"], ["DELETE", ""], ["GET", ""]] as const) {
      const res = await anonymous(method, bucket, query === "?uploads" ? "mp.bin" : "", undefined, query);
      expect(res.status, `${method} ${query}`).toBe(403);
      expect(res.text()).toContain("<Code>AccessDenied</Code>");
    }

    for (const next of ["public-read", "private"] as const) {
      await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: next }));
      const grants = (await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants ?? [];
      expect(grants.some((g) => g.Permission === "WRITE")).toBe(false);
      // The bucket cache of other isolates lives 5 s; this server has one isolate, which forgot it.
      const put = await anonymous("PUT", bucket, `after-${next}.txt`, "nope");
      expect(put.status, next).toBe(403);
      const form = multipartForm({ key: `form-${next}.txt` }, "nope");
      expect((await request({ method: "POST", path: s3Path(bucket), body: form.body, headers: { "Content-Type": form.contentType } })).status).toBe(403);
      expect((await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: `after-${next}.txt` })))).status).toBe(404);
    }
  });

  it("are only a bucket ACL: public-read-write on an object answers NotImplemented", async () => {
    const bucket = await publicWriteBucket();
    const res = await anonymous("PUT", bucket, "obj.txt", "x");
    expect(res.status).toBe(200);
    const put = await request({ method: "PUT", path: s3Path(bucket, "obj2.txt"), body: "x", headers: { "x-amz-acl": "public-read-write" } });
    expect(put.status).toBe(501);
    expect(put.text()).toContain("<Code>NotImplemented</Code>");
  });
});
