import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { file, request } from "./client";
import { multipartForm, postPolicyFields, s3BucketName, s3Client, s3Failure, s3Path, signV4 } from "./s3-helpers";

const AES256 = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" as const } }] };

/**
 * Bucket default encryption through @aws-sdk/client-s3: SSE-S3 (AES256) is kept and read back, SSE-KMS
 * is 501 with nothing stored; objects written by every path answer `x-amz-server-side-encryption:
 * AES256`; a read naming that header is refused, as AWS does; the UFile plane serves the bytes as before.
 */
describe("S3 bucket default encryption", () => {
  const s3 = s3Client();
  const bucket = s3BucketName("enc");
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  const notFound = { name: "ServerSideEncryptionConfigurationNotFoundError", status: 404 };

  it("none set: 404; AES256 is kept (with BucketKeyEnabled) and deleted; DELETE without one is 204", async () => {
    expect(await s3Failure(s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))).toMatchObject(notFound);
    expect((await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: AES256 }))).$metadata.httpStatusCode).toBe(200);
    const got = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    expect(got.ServerSideEncryptionConfiguration!.Rules).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }]);
    const rule = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" as const }, BucketKeyEnabled: true };
    await s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [rule] } }));
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration!.Rules).toEqual([rule]);
    expect((await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
    expect(await s3Failure(s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))).toMatchObject(notFound);
  });

  it("SSE-KMS is 501, a KMS key with AES256 or an unknown algorithm is refused, and nothing is stored", async () => {
    const kms = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" as const, KMSMasterKeyID: "my-key" } }] };
    const refused = await s3Failure(s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: kms })));
    expect(refused).toMatchObject({ name: "NotImplemented", status: 501 });
    expect(refused.message).toContain("aws:kms");
    const keyWithAes = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" as const, KMSMasterKeyID: "my-key" } }] };
    expect(await s3Failure(s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: keyWithAes })))).toMatchObject({ name: "InvalidArgument", status: 400 });
    const body = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
    const unknown = await request(signV4({ method: "PUT", path: `${s3Path(bucket)}?encryption`, body }));
    expect(unknown.status).toBe(400);
    expect(unknown.text()).toContain("<Code>MalformedXML</Code>");
    expect(await s3Failure(s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))).toMatchObject(notFound);
  });

  it("objects of a bucket with AES256 answer it on PUT, multipart, POST, GET and HEAD; a read naming the header is 400; UFile reads as before", async () => {
    const b = s3BucketName("encobj");
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: AES256 }));

    expect((await s3.send(new PutObjectCommand({ Bucket: b, Key: "one", Body: "A".repeat(1000) }))).ServerSideEncryption).toBe("AES256");
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: "one" }));
    expect(got.ServerSideEncryption).toBe("AES256");
    expect(await got.Body!.transformToString()).toBe("A".repeat(1000));
    expect((await s3.send(new HeadObjectCommand({ Bucket: b, Key: "one" }))).ServerSideEncryption).toBe("AES256");

    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: "multi" }));
    expect(upload.ServerSideEncryption).toBe("AES256");
    const part = await s3.send(new UploadPartCommand({ Bucket: b, Key: "multi", UploadId: upload.UploadId, PartNumber: 1, Body: "part" }));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: "multi", UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(done.ServerSideEncryption).toBe("AES256");

    const f = multipartForm({ key: "posted", ...postPolicyFields(b, [["starts-with", "$key", ""]]) }, "bar");
    const posted = await request({ method: "POST", path: `/${b}`, headers: { "Content-Type": f.contentType }, body: f.body });
    expect(posted.status, posted.text()).toBe(204);
    expect(posted.headers["x-amz-server-side-encryption"]).toBe("AES256");
    expect((await s3.send(new GetObjectCommand({ Bucket: b, Key: "posted" }))).ServerSideEncryption).toBe("AES256");

    // The header chooses a write's encryption; on a read AWS answers 400 (HEAD: no body to name the code).
    const readWith = (method: "GET" | "HEAD") => request(signV4({ method, path: s3Path(b, "one"), headers: { "x-amz-server-side-encryption": "AES256" } }));
    const get = await readWith("GET");
    expect(get.status).toBe(400);
    expect(get.text()).toContain("<Code>InvalidArgument</Code>");
    expect((await readWith("HEAD")).status).toBe(400);

    // The UFile plane has no such setting: GetFile serves the bytes, and no S3 header.
    const ufile = await file(b, "one");
    expect(ufile.status).toBe(200);
    expect(ufile.text()).toBe("A".repeat(1000));
    expect(ufile.headers["x-amz-server-side-encryption"]).toBeUndefined();
  });
});
