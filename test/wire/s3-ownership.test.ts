import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketOwnershipControlsCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { control, file, request } from "./client";
import { s3BucketName, s3Client, s3Failure, signV4 } from "./s3-helpers";

/**
 * S3 Object Ownership through @aws-sdk/client-s3: CreateBucket's `x-amz-object-ownership` and
 * Put/Get/DeleteBucketOwnershipControls; with BucketOwnerEnforced, ACLs are disabled as AWS does
 * (writes take none or bucket-owner-full-control, ACL changes are refused, the bucket stays private).
 */
describe("S3 object ownership", () => {
  const s3 = s3Client();
  const notSupported = { name: "AccessControlListNotSupported", status: 400 };
  const ownership = async (Bucket: string) => (await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls!.Rules![0]!.ObjectOwnership;

  it("BucketOwnerEnforced at creation: writes take no ACL or bucket-owner-full-control, every other ACL is refused, ACL reads still work", async () => {
    const b = s3BucketName("own-enf");
    await s3.send(new CreateBucketCommand({ Bucket: b, ObjectOwnership: "BucketOwnerEnforced" }));
    expect(await ownership(b)).toBe("BucketOwnerEnforced");

    await s3.send(new PutObjectCommand({ Bucket: b, Key: "plain", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "owner", Body: "x", ACL: "bucket-owner-full-control" }));
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: b, Key: "private", Body: "x", ACL: "private" })))).toMatchObject(notSupported);
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: b, Key: "public", Body: "x", ACL: "public-read" })))).toMatchObject(notSupported);
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: b, Key: "public" })))).toMatchObject({ status: 404 });

    await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: "mp", ACL: "bucket-owner-full-control" }));
    expect(await s3Failure(s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: "mp", ACL: "private" })))).toMatchObject(notSupported);
    await s3.send(new CopyObjectCommand({ Bucket: b, Key: "copy", CopySource: `${b}/plain` }));
    expect(await s3Failure(s3.send(new CopyObjectCommand({ Bucket: b, Key: "copy2", CopySource: `${b}/plain`, ACL: "private" })))).toMatchObject(notSupported);

    expect(await s3Failure(s3.send(new PutBucketAclCommand({ Bucket: b, ACL: "private" })))).toMatchObject(notSupported);
    expect(await s3Failure(s3.send(new PutObjectAclCommand({ Bucket: b, Key: "plain", ACL: "private" })))).toMatchObject(notSupported);
    expect((await s3.send(new GetBucketAclCommand({ Bucket: b }))).Grants).toHaveLength(1);
  });

  it("BucketOwnerEnforced needs a private bucket: refused with a public ACL, at creation and later", async () => {
    const refused = s3BucketName("own-pub");
    expect(await s3Failure(s3.send(new CreateBucketCommand({ Bucket: refused, ObjectOwnership: "BucketOwnerEnforced", ACL: "public-read" })))).toMatchObject({
      name: "InvalidBucketAclWithObjectOwnership",
      status: 400,
    });
    expect(await s3Failure(s3.send(new HeadBucketCommand({ Bucket: refused })))).toMatchObject({ status: 404 });

    const pub = s3BucketName("own-pub2");
    await s3.send(new CreateBucketCommand({ Bucket: pub, ACL: "public-read" }));
    const enforce = { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" as const }] };
    expect(await s3Failure(s3.send(new PutBucketOwnershipControlsCommand({ Bucket: pub, OwnershipControls: enforce })))).toMatchObject({
      name: "InvalidBucketAclWithObjectOwnership",
      status: 400,
    });
    expect(await s3Failure(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: pub })))).toMatchObject({ name: "OwnershipControlsNotFoundError", status: 404 });
  });

  it("a BucketOwnerEnforced bucket stays private on the UFile API too: UpdateBucket Type=public is refused with 15003, and nothing changes", async () => {
    const b = s3BucketName("own-ufile");
    await s3.send(new CreateBucketCommand({ Bucket: b, ObjectOwnership: "BucketOwnerEnforced" }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "secret", Body: "x" }));
    const update = await control({ Action: "UpdateBucket", BucketName: b, Type: "public" });
    expect(update.body).toMatchObject({ RetCode: 15003, Action: "UpdateBucketResponse" });
    expect(update.body.Message).toContain("BucketOwnerEnforced");
    expect((await control({ Action: "DescribeBucket", BucketName: b })).body.DataSet[0].Type).toBe("private");
    expect((await file(b, "secret", { auth: "none" })).status).toBe(403);
    // Private stays allowed, and once the ownership controls are gone the bucket may go public.
    expect((await control({ Action: "UpdateBucket", BucketName: b, Type: "private" })).body.RetCode).toBe(0);
    await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: b }));
    expect((await control({ Action: "UpdateBucket", BucketName: b, Type: "public" })).body.RetCode).toBe(0);
    expect((await file(b, "secret", { auth: "none" })).status).toBe(200);
  });

  it("none set: 404; ObjectWriter and BucketOwnerPreferred are kept and keep ACLs; delete; an unknown value is refused", async () => {
    const b = s3BucketName("own-set");
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    expect(await s3Failure(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: b })))).toMatchObject({ name: "OwnershipControlsNotFoundError", status: 404 });
    for (const value of ["ObjectWriter", "BucketOwnerPreferred"] as const) {
      const put = await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: value }] } }));
      expect(put.$metadata.httpStatusCode).toBe(200);
      expect(await ownership(b)).toBe(value);
      await s3.send(new PutObjectCommand({ Bucket: b, Key: "k", Body: "x", ACL: "private" }));
      await s3.send(new PutObjectAclCommand({ Bucket: b, Key: "k", ACL: "private" }));
    }
    expect((await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
    expect(await s3Failure(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: b })))).toMatchObject({ name: "OwnershipControlsNotFoundError", status: 404 });

    const body = "<OwnershipControls><Rule><ObjectOwnership>Anyone</ObjectOwnership></Rule></OwnershipControls>";
    const bad = await request(signV4({ method: "PUT", path: `/${b}?ownershipControls`, body }));
    expect(bad.status).toBe(400);
    expect(bad.text()).toContain("<Code>MalformedXML</Code>");
    const badCreate = await request(signV4({ method: "PUT", path: `/${s3BucketName("own-bad")}`, headers: { "x-amz-object-ownership": "Anyone" } }));
    expect(badCreate.status).toBe(400);
    expect(badCreate.text()).toContain("<Code>InvalidArgument</Code>");
  });
});
