/**
 * An object's ACL means the same over S3 as over the UFile plane: anonymous S3 path-style reads of
 * `public-read` objects in a private bucket work, and `private` objects in a public bucket stay closed.
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectAclCommand, HeadObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { file, newBucket, putFile, request } from "./client";
import { s3Client, s3Failure } from "./s3-helpers";

const setAcl = (bucket: string, key: string, acl: string) => file(bucket, key, { method: "PUT", query: "acl", headers: { "x-ufile-object-acl": acl } });
/** Anonymous S3 path-style GET or HEAD on the service's own address (a host that names no bucket). */
const anonymousS3 = (bucket: string, key: string, method = "GET") => request({ method, path: `/${bucket}/${key}` });

describe("object ACLs over S3", () => {
  it("public-read opens one object of a private bucket; private closes one of a public bucket", async () => {
    const priv = await newBucket("private");
    const pub = await newBucket("public");
    await putFile(priv, "open.txt", "open", "text/plain");
    await putFile(priv, "closed.txt", "closed", "text/plain");
    await putFile(pub, "shut.txt", "shut", "text/plain");
    await putFile(pub, "seen.txt", "seen", "text/plain");
    expect((await setAcl(priv, "open.txt", "public-read")).status).toBe(200);
    expect((await setAcl(pub, "shut.txt", "private")).status).toBe(200);

    const open = await anonymousS3(priv, "open.txt");
    expect(open.status, open.text()).toBe(200);
    expect(open.text()).toBe("open");
    expect((await anonymousS3(priv, "open.txt", "HEAD")).status).toBe(200);
    expect((await anonymousS3(pub, "seen.txt")).text()).toBe("seen");

    for (const [bucket, key] of [[priv, "closed.txt"], [pub, "shut.txt"]]) {
      const res = await anonymousS3(bucket, key);
      expect(res.status).toBe(403);
      expect(res.text()).toContain("<Code>AccessDenied</Code>");
      expect((await anonymousS3(bucket, key, "HEAD")).status).toBe(403);
    }
  });

  it("x-amz-acl on CreateMultipartUpload is kept with the upload and given to the object when it completes", async () => {
    const s3 = s3Client();
    const priv = await newBucket("private");
    const pub = await newBucket("public");
    const upload = async (bucket: string, key: string, acl: "public-read" | "private") => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ACL: acl }));
      const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: `body of ${key}` }));
      // Not readable before it completes: there is no object yet.
      expect((await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })))).status).toBe(404);
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
      return (await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }))).Grants!.map((g) => [g.Grantee?.Type, g.Permission]);
    };
    expect(await upload(priv, "open.bin", "public-read")).toEqual([["Group", "READ"], ["CanonicalUser", "FULL_CONTROL"]]);
    const open = await anonymousS3(priv, "open.bin");
    expect(open.status, open.text()).toBe(200);
    expect(open.text()).toBe("body of open.bin");
    expect(await upload(pub, "shut.bin", "private")).toEqual([["CanonicalUser", "FULL_CONTROL"]]);
    expect((await anonymousS3(pub, "shut.bin")).status).toBe(403);
    // Without x-amz-acl the object follows its bucket, as before.
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: pub, Key: "plain.bin" }));
    const part = await s3.send(new UploadPartCommand({ Bucket: pub, Key: "plain.bin", UploadId, PartNumber: 1, Body: "plain" }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: pub, Key: "plain.bin", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect((await anonymousS3(pub, "plain.bin")).text()).toBe("plain");
  });
});
