import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketAclCommand,
  PutObjectAclCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { control, request, uniqueName } from "./client";
import { multipartForm, postPolicyFields, presignV4, s3BucketName, s3Client, s3Failure, s3Path, signV4 } from "./s3-helpers";

/**
 * The ACL a request names beside `x-amz-acl`, through @aws-sdk/client-s3 as a client sends it: grant
 * headers naming only the bucket owner grant nothing beyond what it has and are taken (private), on a
 * BucketOwnerEnforced bucket too, as AWS does; grant headers equal to a canned ACL (AllUsers READ
 * beside the owner's FULL_CONTROL) are that ACL, as the same grants in a policy body are; other grants
 * stay refused. CreateBucket with
 * BucketOwnerEnforced refuses any other ACL with AWS's 400. A POST form's `acl` and `x-amz-grant-*`
 * fields meet the same rules as PutObject's headers.
 */
describe("S3 ACL headers and form fields", () => {
  const s3 = s3Client();
  const notSupported = { name: "AccessControlListNotSupported", status: 400 };
  const notImplemented = { name: "NotImplemented", status: 501 };
  let owner = "";
  /** Another account (project) that exists: it holds a bucket. */
  const otherAccount = uniqueName("org-acl");
  const plain = s3BucketName("aclh-plain");
  const pub = s3BucketName("aclh-pub");
  const enforced = s3BucketName("aclh-enf");
  const ownerOnly = () => ({ GrantFullControl: `id="${owner}"` });
  const grantsOf = async (Bucket: string, Key: string) =>
    (await s3.send(new GetObjectAclCommand({ Bucket, Key }))).Grants!.map((g) => [g.Grantee?.Type, g.Grantee?.ID ?? g.Grantee?.URI, g.Permission]);
  const anonymous = (bucket: string, key: string) => request({ path: s3Path(bucket, key) });
  const missing = async (Bucket: string, Key: string) => (await s3Failure(s3.send(new HeadObjectCommand({ Bucket, Key })))).status === 404;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: plain }));
    await s3.send(new CreateBucketCommand({ Bucket: pub, ACL: "public-read" }));
    await s3.send(new CreateBucketCommand({ Bucket: enforced, ObjectOwnership: "BucketOwnerEnforced" }));
    owner = (await s3.send(new GetBucketAclCommand({ Bucket: plain }))).Owner!.ID!;
    const { body } = await control({ Action: "CreateBucket", BucketName: uniqueName("aclh-other"), Type: "private", ProjectId: otherAccount });
    expect(body.RetCode).toBe(0);
  });

  it("x-amz-grant-full-control naming only the owner is a private ACL on every write and ACL change", async () => {
    // In a public bucket it closes the object, as AWS's ACL of the owner's FULL_CONTROL alone does.
    await s3.send(new PutObjectCommand({ Bucket: pub, Key: "put", Body: "x", ...ownerOnly() }));
    expect(await grantsOf(pub, "put")).toEqual([["CanonicalUser", owner, "FULL_CONTROL"]]);
    expect((await anonymous(pub, "put")).status).toBe(403);
    await s3.send(new PutObjectCommand({ Bucket: pub, Key: "open", Body: "x" }));
    expect((await anonymous(pub, "open")).status).toBe(200);
    await s3.send(new PutObjectAclCommand({ Bucket: pub, Key: "open", ...ownerOnly() }));
    expect((await anonymous(pub, "open")).status).toBe(403);
    await s3.send(new CopyObjectCommand({ Bucket: pub, Key: "copy", CopySource: `${pub}/open`, ...ownerOnly() }));
    expect((await anonymous(pub, "copy")).status).toBe(403);
    await s3.send(new CreateMultipartUploadCommand({ Bucket: pub, Key: "mp", ...ownerOnly() }));
    // The owner's lesser permissions beside its FULL_CONTROL grant nothing more either.
    await s3.send(new PutObjectCommand({ Bucket: pub, Key: "both", Body: "x", ...ownerOnly(), GrantRead: `id=${owner}`, GrantReadACP: `id="${owner}"` }));
    expect((await anonymous(pub, "both")).status).toBe(403);

    const closing = s3BucketName("aclh-close");
    await s3.send(new CreateBucketCommand({ Bucket: closing, ACL: "public-read" }));
    await s3.send(new PutBucketAclCommand({ Bucket: closing, ...ownerOnly() }));
    expect((await s3.send(new GetBucketAclCommand({ Bucket: closing }))).Grants).toHaveLength(1);
  });

  it("grant headers equal to public-read are public-read on PutObject, PutObjectAcl, PutBucketAcl and CreateBucket, as the same grants in a policy body", async () => {
    const allUsers = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"';
    const publicRead = () => ({ GrantFullControl: `id="${owner}"`, GrantRead: allUsers });
    const readable = [
      ["Group", "http://acs.amazonaws.com/groups/global/AllUsers", "READ"],
      ["CanonicalUser", owner, "FULL_CONTROL"],
    ];
    await s3.send(new PutObjectCommand({ Bucket: plain, Key: "g-put", Body: "opened", ...publicRead() }));
    expect(await grantsOf(plain, "g-put")).toEqual(readable);
    expect((await anonymous(plain, "g-put")).text()).toBe("opened");

    await s3.send(new PutObjectCommand({ Bucket: plain, Key: "g-acl", Body: "x" }));
    expect((await anonymous(plain, "g-acl")).status).toBe(403);
    await s3.send(new PutObjectAclCommand({ Bucket: plain, Key: "g-acl", ...publicRead() }));
    expect(await grantsOf(plain, "g-acl")).toEqual(readable);
    expect((await anonymous(plain, "g-acl")).status).toBe(200);
    // The same grants as a policy body reach the same ACL.
    await s3.send(new PutObjectAclCommand({ Bucket: plain, Key: "g-acl", ...ownerOnly() }));
    expect((await anonymous(plain, "g-acl")).status).toBe(403);
    const { Owner } = await s3.send(new GetBucketAclCommand({ Bucket: plain }));
    const Grants = [
      { Grantee: { Type: "CanonicalUser" as const, ID: owner }, Permission: "FULL_CONTROL" as const },
      { Grantee: { Type: "Group" as const, URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" as const },
    ];
    await s3.send(new PutObjectAclCommand({ Bucket: plain, Key: "g-acl", AccessControlPolicy: { Owner, Grants } }));
    expect(await grantsOf(plain, "g-acl")).toEqual(readable);

    const bucketGrants = async (Bucket: string) => (await s3.send(new GetBucketAclCommand({ Bucket }))).Grants!.map((g) => [g.Grantee?.Type, g.Grantee?.ID ?? g.Grantee?.URI, g.Permission]);
    const opened = s3BucketName("aclh-open");
    await s3.send(new CreateBucketCommand({ Bucket: opened }));
    await s3.send(new PutBucketAclCommand({ Bucket: opened, ...publicRead() }));
    expect(await bucketGrants(opened)).toEqual(readable);
    await s3.send(new PutBucketAclCommand({ Bucket: opened, ...ownerOnly() }));
    await s3.send(new PutBucketAclCommand({ Bucket: opened, AccessControlPolicy: { Owner, Grants } }));
    expect(await bucketGrants(opened)).toEqual(readable);
    // AllUsers WRITE beside READ is public-read-write: a bucket ACL, never an object's (as x-amz-acl).
    await s3.send(new PutBucketAclCommand({ Bucket: opened, ...publicRead(), GrantWrite: allUsers }));
    expect(await bucketGrants(opened)).toEqual([readable[0], ["Group", "http://acs.amazonaws.com/groups/global/AllUsers", "WRITE"], readable[1]]);
    // (the SDK types no GrantWrite for an object: the headers, signed)
    const rw = { "x-amz-grant-full-control": `id="${owner}"`, "x-amz-grant-read": allUsers, "x-amz-grant-write": allUsers };
    const objectRw = await request(signV4({ method: "PUT", path: s3Path(plain, "g-rw"), body: "x", headers: rw }));
    expect(objectRw.status, objectRw.text()).toBe(501);
    expect(await missing(plain, "g-rw")).toBe(true);

    const created = s3BucketName("aclh-created");
    await s3.send(new CreateBucketCommand({ Bucket: created, ...publicRead() }));
    expect(await bucketGrants(created)).toEqual(readable);

    // Under BucketOwnerEnforced only the owner's full control is taken, as for x-amz-acl: public-read.
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: enforced, Key: "g-enf", Body: "x", ...publicRead() })))).toMatchObject(notSupported);
    expect(await s3Failure(s3.send(new PutObjectAclCommand({ Bucket: enforced, Key: "granted", ...publicRead() })))).toMatchObject(notSupported);
    expect(await s3Failure(s3.send(new PutBucketAclCommand({ Bucket: enforced, ...publicRead() })))).toMatchObject(notSupported);
    expect(await s3Failure(s3.send(new CreateBucketCommand({ Bucket: s3BucketName("aclh-enf-pub"), ObjectOwnership: "BucketOwnerEnforced", ...publicRead() })))).toMatchObject({
      name: "InvalidBucketAclWithObjectOwnership",
      status: 400,
    });
    expect(await missing(enforced, "g-enf")).toBe(true);
    expect(await bucketGrants(enforced)).toEqual([readable[1]]);
  });

  it("a BucketOwnerEnforced bucket takes the owner-only grant header (as AWS) and refuses grants to anyone else", async () => {
    await s3.send(new PutObjectCommand({ Bucket: enforced, Key: "granted", Body: "x", ...ownerOnly() }));
    await s3.send(new PutObjectAclCommand({ Bucket: enforced, Key: "granted", ...ownerOnly() }));
    await s3.send(new PutBucketAclCommand({ Bucket: enforced, ...ownerOnly() }));
    await s3.send(new CopyObjectCommand({ Bucket: enforced, Key: "copied", CopySource: `${enforced}/granted`, ...ownerOnly() }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: enforced, Key: "mp", ...ownerOnly() }));
    const created = s3BucketName("aclh-enf-new");
    await s3.send(new CreateBucketCommand({ Bucket: created, ObjectOwnership: "BucketOwnerEnforced", ...ownerOnly() }));
    expect((await s3.send(new HeadBucketCommand({ Bucket: created }))).$metadata.httpStatusCode).toBe(200);

    for (const grant of [{ GrantFullControl: 'id="someone-else"' }, { GrantRead: `id="${owner}"` }, { GrantFullControl: `id="${owner}", emailAddress="x@example.com"` }]) {
      expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: enforced, Key: "refused", Body: "x", ...grant })))).toMatchObject(notSupported);
      expect(await s3Failure(s3.send(new PutObjectAclCommand({ Bucket: enforced, Key: "granted", ...grant })))).toMatchObject(notSupported);
      expect(await s3Failure(s3.send(new PutBucketAclCommand({ Bucket: enforced, ...grant })))).toMatchObject(notSupported);
    }
    expect(await missing(enforced, "refused")).toBe(true);
  });

  it("grants to anyone but the owner stay refused (an unknown id or any e-mail grantee names no account), nothing stored; a grant header beside x-amz-acl or malformed is 400", async () => {
    const refusals: [Record<string, string>, { name: string; status: number }][] = [
      [{ GrantFullControl: `id="${otherAccount}"` }, notImplemented],
      // A canonical id that names no account is no grantee at all, as AWS answers it.
      [{ GrantFullControl: 'id="no-such-account"' }, { name: "InvalidArgument", status: 400 }],
      [{ GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }, notImplemented],
      [{ GrantRead: `id="${owner}"` }, notImplemented], // the owner's READ without its FULL_CONTROL: an ACL edgefile cannot hold
      // AuthenticatedUsers READ is no canned ACL edgefile holds (authenticated-read is refused too).
      [{ GrantFullControl: `id="${owner}"`, GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"' }, notImplemented],
      // No account here has an e-mail address: none resolves, as AWS answers an unknown one.
      [{ GrantFullControl: `id="${owner}"`, GrantReadACP: 'emailAddress="x@example.com"' }, { name: "UnresolvableGrantByEmailAddress", status: 400 }],
      [{ GrantFullControl: `id="${owner}"`, ACL: "private" }, { name: "InvalidRequest", status: 400 }],
      [{ GrantFullControl: `owner ${owner}` }, { name: "InvalidArgument", status: 400 }],
    ];
    for (const [headers, refusal] of refusals) {
      expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: plain, Key: "refused", Body: "x", ...headers })))).toMatchObject(refusal);
      expect(await s3Failure(s3.send(new CreateBucketCommand({ Bucket: s3BucketName("aclh-refused"), ...headers })))).toMatchObject(refusal);
    }
    expect(await missing(plain, "refused")).toBe(true);
    // A body beside grant headers: one or the other.
    const body = `<AccessControlPolicy><Owner><ID>${owner}</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${owner}</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`;
    const both = await request(signV4({ method: "PUT", path: `/${plain}?acl`, headers: { "x-amz-grant-full-control": `id="${owner}"` }, body }));
    expect(both.status).toBe(400);
    expect(both.text()).toContain("<Code>InvalidRequest</Code>");
    expect((await request(signV4({ method: "PUT", path: `/${plain}?acl`, body }))).status).toBe(200);
    const { Owner } = await s3.send(new GetBucketAclCommand({ Bucket: plain }));
    const ownerGrant = { Grantee: { Type: "CanonicalUser" as const, ID: owner }, Permission: "FULL_CONTROL" as const };
    const byEmail = { Grantee: { Type: "AmazonCustomerByEmail" as const, EmailAddress: "x@example.com" }, Permission: "READ" as const };
    const toAccount = (ID: string) => ({ Grantee: { Type: "CanonicalUser" as const, ID }, Permission: "READ" as const });
    const policyOf = (grant: typeof byEmail | ReturnType<typeof toAccount>) => ({ Bucket: plain, AccessControlPolicy: { Owner, Grants: [ownerGrant, grant] } });
    expect(await s3Failure(s3.send(new PutBucketAclCommand(policyOf(toAccount(otherAccount)))))).toMatchObject(notImplemented);
    expect(await s3Failure(s3.send(new PutBucketAclCommand(policyOf(toAccount("no-such-account")))))).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect(await s3Failure(s3.send(new PutBucketAclCommand(policyOf(byEmail))))).toMatchObject({
      name: "UnresolvableGrantByEmailAddress",
      status: 400,
    });
    expect(await s3Failure(s3.send(new PutBucketAclCommand({ Bucket: enforced, AccessControlPolicy: { Owner, Grants: [ownerGrant, byEmail] } })))).toMatchObject(notSupported);
  });

  it("a presigned URL does not take a grant header it did not sign", async () => {
    const signed = presignV4({ method: "PUT", path: s3Path(plain, "presigned"), body: "x" });
    const res = await request({ ...signed, headers: { ...signed.headers, "x-amz-grant-full-control": `id="${owner}"` } });
    expect(res.status).toBe(403);
    expect(res.text()).toContain("x-amz-grant-full-control");
    expect(await missing(plain, "presigned")).toBe(true);
    const withGrant = presignV4({ method: "PUT", path: s3Path(plain, "presigned"), body: "x", headers: { "x-amz-grant-full-control": `id="${owner}"` } });
    expect((await request(withGrant)).status).toBe(200);
  });

  it("CreateBucket with BucketOwnerEnforced and any ACL but private or the owner's full control is 400 InvalidBucketAclWithObjectOwnership, nothing created", async () => {
    const refused = { name: "InvalidBucketAclWithObjectOwnership", status: 400 };
    const cases: Record<string, string>[] = [
      { ACL: "authenticated-read" },
      { ACL: "public-read-write" },
      { "x-amz-acl": "bucket-owner-read" },
      { GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' },
      { GrantFullControl: 'id="someone-else"' },
    ];
    for (const headers of cases) {
      const Bucket = s3BucketName("aclh-enf-bad");
      // The SDK types no bucket-owner-read for a bucket: that header signed by hand.
      const failure = headers["x-amz-acl"]
        ? await request(signV4({ method: "PUT", path: `/${Bucket}`, headers: { ...headers, "x-amz-object-ownership": "BucketOwnerEnforced" } }))
        : null;
      if (failure) {
        expect(failure.status).toBe(400);
        expect(failure.text()).toContain("<Code>InvalidBucketAclWithObjectOwnership</Code>");
      } else {
        expect(await s3Failure(s3.send(new CreateBucketCommand({ Bucket, ObjectOwnership: "BucketOwnerEnforced", ...headers })))).toMatchObject(refused);
      }
      expect(await s3Failure(s3.send(new HeadBucketCommand({ Bucket })))).toMatchObject({ status: 404 });
    }
    for (const acl of ["private", "bucket-owner-full-control"]) {
      const Bucket = s3BucketName("aclh-enf-ok");
      const res = await request(signV4({ method: "PUT", path: `/${Bucket}`, headers: { "x-amz-acl": acl, "x-amz-object-ownership": "BucketOwnerEnforced" } }));
      expect(res.status, res.text()).toBe(200);
    }
  });

  describe("PostObject's acl and x-amz-grant-* fields", () => {
    const post = (bucket: string, fields: Record<string, string>, conditions: unknown[] = Object.entries(fields).map(([k, v]) => ({ [k]: v }))) => {
      const f = multipartForm({ ...fields, ...postPolicyFields(bucket, conditions) }, "form body");
      return request({ method: "POST", path: `/${bucket}`, headers: { "Content-Type": f.contentType }, body: f.body });
    };
    const failed = async (res: Awaited<ReturnType<typeof post>>, status: number, code: string) => {
      expect(res.status, res.text()).toBe(status);
      expect(res.text()).toContain(`<Code>${code}</Code>`);
    };

    it("are refused where PutObject's headers are, nothing stored", async () => {
      await failed(await post(plain, { key: "f-grant", "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }), 501, "NotImplemented");
      await failed(await post(plain, { key: "f-other", "x-amz-grant-full-control": `id="${otherAccount}"` }), 501, "NotImplemented");
      await failed(await post(plain, { key: "f-other", "x-amz-grant-full-control": 'id="no-such-account"' }), 400, "InvalidArgument");
      await failed(await post(plain, { key: "f-both", acl: "private", "x-amz-grant-full-control": `id="${owner}"` }), 400, "InvalidRequest");
      await failed(await post(plain, { key: "f-rw", acl: "public-read-write" }), 501, "NotImplemented");
      await failed(await post(plain, { key: "f-bad", acl: "private\r\nx-amz-grant-read: id=x" }), 400, "InvalidArgument");
      await failed(await post(enforced, { key: "f-pub", acl: "public-read" }), 400, "AccessControlListNotSupported");
      await failed(await post(enforced, { key: "f-priv", acl: "private" }), 400, "AccessControlListNotSupported");
      await failed(await post(enforced, { key: "f-grant", "x-amz-grant-read": `id="${owner}"` }), 400, "AccessControlListNotSupported");
      for (const [bucket, key] of [[plain, "f-grant"], [plain, "f-other"], [plain, "f-both"], [plain, "f-rw"], [plain, "f-bad"], [enforced, "f-pub"], [enforced, "f-priv"], [enforced, "f-grant"]]) {
        expect(await missing(bucket!, key!)).toBe(true);
      }
    });

    it("are stored where PutObject's headers are", async () => {
      expect((await post(pub, { key: "f-owner", "x-amz-grant-full-control": `id="${owner}"` })).status).toBe(204);
      expect(await grantsOf(pub, "f-owner")).toEqual([["CanonicalUser", owner, "FULL_CONTROL"]]);
      expect((await anonymous(pub, "f-owner")).status).toBe(403);
      expect((await post(plain, { key: "f-public", acl: "public-read" })).status).toBe(204);
      expect((await anonymous(plain, "f-public")).status).toBe(200);
      expect((await post(enforced, { key: "f-bofc", acl: "bucket-owner-full-control" })).status).toBe(204);
      expect((await post(enforced, { key: "f-owner", "x-amz-grant-full-control": `id="${owner}"` })).status).toBe(204);
      expect((await s3.send(new HeadObjectCommand({ Bucket: enforced, Key: "f-owner" }))).$metadata.httpStatusCode).toBe(200);
    });

    it("are held to the policy's conditions like any other field", async () => {
      const eqPrivate = [{ key: "f-cond" }, ["eq", "$acl", "private"]];
      await failed(await post(plain, { key: "f-cond", acl: "public-read" }, eqPrivate), 403, "AccessDenied");
      const grant = { key: "f-cond", "x-amz-grant-full-control": `id="${owner}"` };
      const unnamed = await post(plain, grant, [{ key: "f-cond" }]);
      expect(unnamed.status).toBe(403);
      expect(unnamed.text()).toContain("Extra input fields: x-amz-grant-full-control");
      await failed(await post(plain, grant, [{ key: "f-cond" }, ["starts-with", "$x-amz-grant-full-control", 'id="someone']]), 403, "AccessDenied");
      expect(await missing(plain, "f-cond")).toBe(true);
      expect((await post(plain, { key: "f-cond", acl: "private" }, eqPrivate)).status).toBe(204);
    });
  });
});
