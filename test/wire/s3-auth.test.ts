import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { beforeAll, describe, expect, it } from "vitest";
import { control, request, server } from "./client";
import { ROOT_ACCESS_KEY, s3BucketName, s3Client, s3Failure, type AccessKey } from "./s3-helpers";

/** Credentials over S3: presigned URLs, token scopes, anonymous reads, refusals. */

async function newToken(extra: Record<string, string | number>): Promise<AccessKey> {
  const { body } = await control({ Action: "CreateUFileToken", TokenName: "s3", ...extra });
  if (body.RetCode !== 0) throw new Error(JSON.stringify(body));
  return { accessKeyId: body.UFileTokenSet.PublicKey, secretAccessKey: body.UFileTokenSet.PrivateKey };
}

const path = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

describe("S3 credentials", () => {
  const root = s3Client();
  const bucket = s3BucketName("auth");
  const publicBucket = s3BucketName("pub");

  beforeAll(async () => {
    await root.send(new CreateBucketCommand({ Bucket: bucket }));
    await root.send(new CreateBucketCommand({ Bucket: publicBucket, ACL: "public-read" }));
    await root.send(new PutObjectCommand({ Bucket: bucket, Key: "secret.txt", Body: "secret" }));
    await root.send(new PutObjectCommand({ Bucket: publicBucket, Key: "open.txt", Body: "open" }));
  });

  it("presigned GET and PUT work for what they sign, and only that", async () => {
    const get = await getSignedUrl(root, new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" }), { expiresIn: 600 });
    const res = await request({ path: path(get) });
    expect(res.status).toBe(200);
    expect(res.text()).toBe("secret");
    expect((await request({ path: path(get).replace("secret.txt", "other.txt") })).status).toBe(403);
    expect((await request({ method: "DELETE", path: path(get) })).status).toBe(403);

    const put = await getSignedUrl(root, new PutObjectCommand({ Bucket: bucket, Key: "upload.txt" }), { expiresIn: 600 });
    expect((await request({ method: "PUT", path: path(put), body: "uploaded" })).status).toBe(200);
    expect(await (await root.send(new GetObjectCommand({ Bucket: bucket, Key: "upload.txt" }))).Body!.transformToString()).toBe("uploaded");
    // Issue 10's attack on S3: the upload URL replayed with a copy source it never signed.
    const attack = await request({ method: "PUT", path: path(put), headers: { "x-amz-copy-source": `/${bucket}/secret.txt` } });
    expect(attack.status).toBe(403);
    expect(attack.text()).toContain("<Code>AccessDenied</Code>");
    const expired = await getSignedUrl(root, new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" }), { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) });
    const late = await request({ path: path(expired) });
    expect(late.status).toBe(403);
    expect(late.text()).toContain("Request has expired");
  });

  it("anonymous path-style reads of a public bucket work; of a private one, and anonymous writes, do not", async () => {
    const open = await request({ path: `/${publicBucket}/open.txt` });
    expect(open.status).toBe(200);
    expect(open.text()).toBe("open");
    const closed = await request({ path: `/${bucket}/secret.txt` });
    expect(closed.status).toBe(403);
    expect(closed.text()).toContain("<Code>AccessDenied</Code>");
    expect((await request({ method: "PUT", path: `/${publicBucket}/x`, body: "x" })).status).toBe(403);
    expect((await request({ path: `/${publicBucket}/` })).status).toBe(403); // listing needs credentials
  });

  it("a token is an access key with the token's scope: prefixes, rights, buckets, expiry", async () => {
    const key = await newToken({ "AllowedOps.0": "TOKEN_ALLOW_READ", "AllowedOps.1": "TOKEN_ALLOW_WRITE", "AllowedOps.2": "TOKEN_ALLOW_LIST", "AllowedPrefixes.0": "team/", "AllowedBuckets.0": bucket });
    const t = s3Client({ key });
    await t.send(new PutObjectCommand({ Bucket: bucket, Key: "team/a.txt", Body: "a" }));
    expect(await (await t.send(new GetObjectCommand({ Bucket: bucket, Key: "team/a.txt" }))).Body!.transformToString()).toBe("a");
    expect((await t.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "team/" }))).KeyCount).toBe(1);
    expect(await s3Failure(t.send(new PutObjectCommand({ Bucket: bucket, Key: "other/a.txt", Body: "a" })))).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(await s3Failure(t.send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" })))).toMatchObject({ name: "AccessDenied" });
    expect(await s3Failure(t.send(new ListObjectsV2Command({ Bucket: bucket })))).toMatchObject({ name: "AccessDenied" });
    expect(await s3Failure(t.send(new DeleteObjectCommand({ Bucket: bucket, Key: "team/a.txt" })))).toMatchObject({ name: "AccessDenied" });
    expect(await s3Failure(t.send(new GetObjectCommand({ Bucket: publicBucket + "-x", Key: "k" })))).toMatchObject({ status: 404 });
    expect(await s3Failure(t.send(new CreateBucketCommand({ Bucket: s3BucketName("tok") })))).toMatchObject({ name: "AccessDenied" });
    expect((await t.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toEqual([bucket]);
    // A presigned URL made with the token's key carries the token's scope.
    const url = await getSignedUrl(t, new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" }), { expiresIn: 60 });
    expect((await request({ path: path(url) })).status).toBe(403);
    const expired = await newToken({ "AllowedOps.0": "TOKEN_ALLOW_READ", "AllowedBuckets.0": "*", "AllowedPrefixes.0": "*", ExpireTime: Math.floor(Date.now() / 1000) + 1 });
    await new Promise((r) => setTimeout(r, 2100));
    expect(await s3Failure(s3Client({ key: expired }).send(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt" })))).toMatchObject({ name: "AccessDenied" });
  });

  it("TOKEN_DENY_UPDATE: creates keys, never replaces them", async () => {
    const key = await newToken({ "AllowedOps.0": "TOKEN_ALLOW_WRITE", "AllowedOps.1": "TOKEN_DENY_UPDATE", "AllowedBuckets.0": bucket, "AllowedPrefixes.0": "*" });
    const t = s3Client({ key });
    await t.send(new PutObjectCommand({ Bucket: bucket, Key: "once.txt", Body: "1" }));
    expect(await s3Failure(t.send(new PutObjectCommand({ Bucket: bucket, Key: "once.txt", Body: "2" })))).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(await (await root.send(new GetObjectCommand({ Bucket: bucket, Key: "once.txt" }))).Body!.transformToString()).toBe("1");
  });

  it("wrong secret, unknown key, skewed clock, unsupported signature versions", async () => {
    expect(await s3Failure(s3Client({ key: { ...ROOT_ACCESS_KEY, secretAccessKey: "wrong" } }).send(new ListBucketsCommand({})))).toMatchObject({ name: "SignatureDoesNotMatch", status: 403 });
    expect(await s3Failure(s3Client({ key: { accessKeyId: "AKIDUNKNOWN", secretAccessKey: "x" } }).send(new ListBucketsCommand({})))).toMatchObject({ name: "InvalidAccessKeyId", status: 403 });
    const skewed = s3Client();
    skewed.config.systemClockOffset = -20 * 60 * 1000;
    expect(await s3Failure(skewed.send(new ListBucketsCommand({})))).toMatchObject({ name: "RequestTimeTooSkewed", status: 403 });
    // SigV2 is verified (src/s3/sigv2.ts): an unknown key is refused as such; other schemes are not understood.
    const v2 = await request({ path: `/${bucket}/secret.txt`, headers: { Authorization: "AWS AKID:c2ln", Date: new Date().toUTCString() } });
    expect(v2.status).toBe(403);
    expect(v2.text()).toContain("<Code>InvalidAccessKeyId</Code>");
    const other = await request({ path: `/${bucket}/secret.txt`, headers: { Authorization: "Bearer abc" } });
    expect(other.status).toBe(400);
    expect(other.text()).toContain("<Code>InvalidArgument</Code>");
  });

  it("everything edgefile does not have answers NotImplemented, never a false success", async () => {
    const signedPath = async (cmd: GetObjectCommand) => path(await getSignedUrl(root, cmd, { expiresIn: 60 }));
    for (const sub of ["versioning", "policy", "website", "object-lock"]) {
      const res = await request({ path: `/${bucket}?${sub}`, headers: {} });
      expect(res.status, sub).toBe(501);
      expect(res.text()).toContain("<Code>NotImplemented</Code>");
    }
    expect((await request({ path: (await signedPath(new GetObjectCommand({ Bucket: bucket, Key: "secret.txt", VersionId: "v1" }))) })).status).toBe(501);
    expect(server().url).toBeTruthy();
  });
});
