import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketOwnershipControlsCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { control, file, partEtag, request, type WireResponse } from "./client";
import { s3BucketName, s3Client, s3Failure, signV4 } from "./s3-helpers";

/**
 * S3 Object Ownership through @aws-sdk/client-s3: CreateBucket's `x-amz-object-ownership` and
 * Put/Get/DeleteBucketOwnershipControls; with BucketOwnerEnforced, ACLs are disabled as AWS does
 * (writes and ACL changes take none or the owner's full control, stored object ACLs stop counting,
 * the bucket stays private), on the UFile API too.
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
    expect(await s3Failure(s3.send(new PutObjectAclCommand({ Bucket: b, Key: "plain", ACL: "public-read" })))).toMatchObject(notSupported);
    expect((await s3.send(new GetBucketAclCommand({ Bucket: b }))).Grants).toHaveLength(1);
    // The owner's full control alone is taken, canned or as a policy; a policy granting more is refused.
    // (the SDK types no bucket-owner-full-control for a bucket: the header, signed)
    expect((await request(signV4({ method: "PUT", path: `/${b}?acl`, headers: { "x-amz-acl": "bucket-owner-full-control" } }))).status).toBe(200);
    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: "plain", ACL: "bucket-owner-full-control" }));
    const { Owner } = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    const ownerGrant = { Grantee: { Type: "CanonicalUser" as const, ID: Owner!.ID }, Permission: "FULL_CONTROL" as const };
    const allUsersRead = { Grantee: { Type: "Group" as const, URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" as const };
    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: "plain", AccessControlPolicy: { Owner, Grants: [ownerGrant] } }));
    expect(await s3Failure(s3.send(new PutObjectAclCommand({ Bucket: b, Key: "plain", AccessControlPolicy: { Owner, Grants: [ownerGrant, allUsersRead] } })))).toMatchObject(notSupported);
    expect(await s3Failure(s3.send(new PutBucketAclCommand({ Bucket: b, AccessControlPolicy: { Owner, Grants: [ownerGrant, allUsersRead] } })))).toMatchObject(notSupported);
    // A grant header is an ACL too: refused here as AWS does (elsewhere a grant to anyone but the owner: 501).
    const grantRead = { GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' };
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: b, Key: "granted", Body: "x", ...grantRead })))).toMatchObject(notSupported);
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: b, Key: "granted" })))).toMatchObject({ status: 404 });
    const other = s3BucketName("own-grant");
    await s3.send(new CreateBucketCommand({ Bucket: other }));
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: other, Key: "granted", Body: "x", ...grantRead })))).toMatchObject({ name: "NotImplemented", status: 501 });
  });

  it("an object ACL set before BucketOwnerEnforced stops counting on both APIs, and counts again once the controls are removed", async () => {
    const b = s3BucketName("own-late");
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "was-public", Body: "open", ACL: "public-read" }));
    const anonymous = () => request({ path: `/${b}/was-public` });
    const grantsOf = async () => (await s3.send(new GetObjectAclCommand({ Bucket: b, Key: "was-public" }))).Grants!.map((g) => g.Permission);
    const ufileAcl = async () => (await file(b, "was-public", { query: "acl" })).json().AccessControlList.Grant;
    expect((await anonymous()).status).toBe(200);
    expect((await file(b, "was-public", { auth: "none" })).status).toBe(200);
    expect(await grantsOf()).toEqual(["READ", "FULL_CONTROL"]);

    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: b, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } }));
    expect((await anonymous()).status).toBe(403);
    expect((await request({ method: "HEAD", path: `/${b}/was-public` })).status).toBe(403);
    expect((await file(b, "was-public", { auth: "none" })).status).toBe(403);
    expect((await file(b, "was-public", { method: "HEAD", auth: "none" })).status).toBe(403);
    // ACL reads answer the ACL in force: the owner's full control alone (S3), `default` (UFile).
    expect(await grantsOf()).toEqual(["FULL_CONTROL"]);
    expect(await ufileAcl()).toBe("default");

    // As on AWS, the stored ACL was kept: re-enabling ACLs brings it back.
    await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: b }));
    expect((await anonymous()).status).toBe(200);
    expect(await ufileAcl()).toBe("public-read");
  });

  it("on the UFile API a BucketOwnerEnforced bucket takes X-Ufile-Object-Acl: default alone; any other is 400 -91122 and stores nothing", async () => {
    const b = s3BucketName("own-uacl");
    await s3.send(new CreateBucketCommand({ Bucket: b, ObjectOwnership: "BucketOwnerEnforced" }));
    const refused = async (res: Promise<WireResponse>) => {
      const r = await res;
      expect(r.status, r.text()).toBe(400);
      expect(r.json().RetCode).toBe(-91122);
      expect(r.json().ErrMsg).toContain("BucketOwnerEnforced");
    };
    const put = (key: string, acl: string) => file(b, key, { method: "PUT", body: "x", headers: { "Content-Type": "text/plain", "X-Ufile-Object-Acl": acl } });
    await refused(put("public", "public-read"));
    await refused(put("private", "private"));
    expect((await file(b, "public", { method: "HEAD" })).status).toBe(404);
    expect((await file(b, "private", { method: "HEAD" })).status).toBe(404);
    expect((await put("default", "default")).status).toBe(200);
    expect((await file(b, "default", { query: "acl" })).json().AccessControlList.Grant).toBe("default");

    const setAcl = (acl: string) => file(b, "default", { method: "PUT", query: "acl", headers: { "X-Ufile-Object-Acl": acl } });
    await refused(setAcl("public-read"));
    await refused(setAcl("private"));
    expect((await setAcl("default")).status).toBe(200);
    expect((await file(b, "default", { auth: "none" })).status).toBe(403);

    const copy = (acl: string) => file(b, "copy", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${b}/default`, "X-Ufile-Object-Acl": acl } });
    await refused(copy("public-read"));
    expect((await file(b, "copy", { method: "HEAD" })).status).toBe(404);
    expect((await copy("default")).status).toBe(200);

    // Multipart: Finish names the object's ACL; refused before anything is published, the upload stays open.
    const init = await file(b, "mp", { method: "POST", query: "uploads" });
    expect(init.status, init.text()).toBe(200);
    const uploadId = init.json().UploadId as string;
    const part = await file(b, "mp", { method: "PUT", query: `uploadId=${uploadId}&partNumber=0`, body: "part" });
    expect(part.status, part.text()).toBe(200);
    const finish = (acl: string) => file(b, "mp", { method: "POST", query: `uploadId=${uploadId}`, body: partEtag(Buffer.from("part")), headers: { "X-Ufile-Object-Acl": acl } });
    await refused(finish("public-read"));
    expect((await file(b, "mp", { method: "HEAD" })).status).toBe(404);
    expect((await finish("default")).status).toBe(200);
    expect((await file(b, "mp")).text()).toBe("part");
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
