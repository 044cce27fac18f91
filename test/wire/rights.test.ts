/**
 * A right means what it grants (issue 19): the attacks as they were tried against `npm start`,
 * repeated over HTTP. Each is refused with the API's error, and the state read back is unchanged.
 */
import { describe, expect, it } from "vitest";
import { ALL_RIGHTS, createToken, file, newBucket, putFile, request, server, type Keys, type WireResponse } from "./client";
import { multipartForm, postPolicyFields, ROOT_ACCESS_KEY, s3Path, signV4, type AccessKey } from "./s3-helpers";

const now = () => Math.floor(Date.now() / 1000);
const asAccessKey = (k: Keys): AccessKey => ({ accessKeyId: k.publicKey, secretAccessKey: k.privateKey });
const anonymousGet = (bucket: string, key: string) => request({ host: `${bucket}.localhost:${server().port}`, path: `/${key}` });
const s3Code = (res: WireResponse) => /<Code>([^<]*)<\/Code>/.exec(res.text())?.[1];
const s3Message = (res: WireResponse) => /<Message>([^<]*)<\/Message>/.exec(res.text())?.[1];

function expectDataError(res: WireResponse, status: number, code: number): void {
  expect(res.status, res.text()).toBe(status);
  expect(res.json().RetCode).toBe(code);
}

describe("publishing an object needs the right to read it", () => {
  it("a write-only token on uploads/ cannot make another user's private upload public (UFile ?acl and writes)", async () => {
    const bucket = await newBucket("private");
    await putFile(bucket, "uploads/victim.txt", "private words", "text/plain");
    const writer = await createToken({ "AllowedOps.0": "TOKEN_ALLOW_WRITE", "AllowedPrefixes.0": "uploads/" });

    const acl = await file(bucket, "uploads/victim.txt", { method: "PUT", query: "acl", headers: { "X-Ufile-Object-Acl": "public-read" }, sign: { keys: writer } });
    expectDataError(acl, 403, -90008);
    expect((await anonymousGet(bucket, "uploads/victim.txt")).status).toBe(403);
    expect((await file(bucket, "uploads/victim.txt", { query: "acl" })).json().AccessControlList.Grant).toBe("default");

    // The same through a write that carries the ACL: nothing is stored.
    const put = await file(bucket, "uploads/mine.txt", { method: "PUT", body: "x", headers: { "X-Ufile-Object-Acl": "public-read" }, sign: { keys: writer } });
    expectDataError(put, 403, -90008);
    expect((await file(bucket, "uploads/mine.txt", { method: "HEAD" })).status).toBe(404);
    const copy = await file(bucket, "uploads/copy.txt", {
      method: "PUT",
      headers: { "X-Ufile-Copy-Source": `/${bucket}/uploads/victim.txt`, "X-Ufile-Object-Acl": "public-read" },
      sign: { keys: writer },
    });
    expect(copy.status).toBe(403);
    expect((await file(bucket, "uploads/copy.txt", { method: "HEAD" })).status).toBe(404);

    // Writing without publishing, and closing an object, stay WRITE's.
    expect((await file(bucket, "uploads/mine.txt", { method: "PUT", body: "x", sign: { keys: writer } })).status).toBe(200);
    expect((await file(bucket, "uploads/victim.txt", { method: "PUT", query: "acl", headers: { "X-Ufile-Object-Acl": "private" }, sign: { keys: writer } })).status).toBe(200);
  });

  it("a token that may read and write the key publishes it", async () => {
    const bucket = await newBucket("private");
    await putFile(bucket, "uploads/own.txt", "shared on purpose", "text/plain");
    const owner = await createToken({ "AllowedOps.0": "TOKEN_ALLOW_WRITE", "AllowedOps.1": "TOKEN_ALLOW_READ", "AllowedPrefixes.0": "uploads/" });
    const acl = await file(bucket, "uploads/own.txt", { method: "PUT", query: "acl", headers: { "X-Ufile-Object-Acl": "public-read" }, sign: { keys: owner } });
    expect(acl.status, acl.text()).toBe(200);
    const got = await anonymousGet(bucket, "uploads/own.txt");
    expect(got.status).toBe(200);
    expect(got.text()).toBe("shared on purpose");
  });

  it("S3: x-amz-acl public-read needs READ too", async () => {
    const bucket = await newBucket("public");
    const writer = asAccessKey(await createToken({ "AllowedOps.0": "TOKEN_ALLOW_WRITE" }));
    const put = await request(signV4({ method: "PUT", path: s3Path(bucket, "p.txt"), body: "x", headers: { "x-amz-acl": "public-read" } }, { key: writer }));
    expect(put.status, put.text()).toBe(403);
    expect(s3Code(put)).toBe("AccessDenied");
    expect((await request(signV4({ method: "HEAD", path: s3Path(bucket, "p.txt") }))).status).toBe(404);
    const plain = await request(signV4({ method: "PUT", path: s3Path(bucket, "p.txt"), body: "x" }, { key: writer }));
    expect(plain.status, plain.text()).toBe(200);
  });

  it("S3: grant headers or a POST form's grant fields equal to public-read need READ too; the owner's full control alone does not", async () => {
    const bucket = await newBucket("private");
    const writer = asAccessKey(await createToken({ "AllowedOps.0": "TOKEN_ALLOW_WRITE" }));
    const owner = /<ID>([^<]*)<\/ID>/.exec((await request(signV4({ method: "GET", path: `${s3Path(bucket)}?acl` }))).text())![1]!;
    const publicGrants = { "x-amz-grant-full-control": `id="${owner}"`, "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' };
    const put = await request(signV4({ method: "PUT", path: s3Path(bucket, "g.txt"), body: "x", headers: publicGrants }, { key: writer }));
    expect(put.status, put.text()).toBe(403);
    expect(s3Code(put)).toBe("AccessDenied");
    const form = multipartForm({ key: "f.txt", ...publicGrants, ...postPolicyFields(bucket, [{ key: "f.txt" }, ...Object.entries(publicGrants).map(([k, v]) => ({ [k]: v }))], { key: writer }) }, "x");
    const posted = await request({ method: "POST", path: s3Path(bucket), headers: { "Content-Type": form.contentType }, body: form.body });
    expect(posted.status, posted.text()).toBe(403);
    expect(s3Code(posted)).toBe("AccessDenied");
    for (const key of ["g.txt", "f.txt"]) expect((await request(signV4({ method: "HEAD", path: s3Path(bucket, key) }))).status).toBe(404);
    // Both store a private object, as x-amz-acl: private would: no READ needed, even in a public bucket.
    const pub = await newBucket("public");
    const ownerOnly: Record<string, string>[] = [{ "x-amz-grant-full-control": `id="${owner}"` }, { "x-amz-acl": "bucket-owner-full-control" }];
    for (const headers of ownerOnly) {
      const closed = await request(signV4({ method: "PUT", path: s3Path(pub, "c.txt"), body: "x", headers }, { key: writer }));
      expect(closed.status, closed.text()).toBe(200);
      expect((await anonymousGet(pub, "c.txt")).status).toBe(403);
    }
  });
});

describe("a TOKEN_DENY_UPDATE token creates and changes nothing that exists", () => {
  it("UFile: no class switch, tags, ACL or metadata change; no rename over an existing key", async () => {
    const bucket = await newBucket("private");
    await putFile(bucket, "doc.txt", "kept", "text/plain");
    await putFile(bucket, "other.txt", "other", "text/plain");
    const createOnly = await createToken({ ...ALL_RIGHTS, "AllowedOps.4": "TOKEN_DENY_UPDATE" });
    const as = { sign: { keys: createOnly } };

    expectDataError(await file(bucket, "doc.txt", { method: "PUT", query: "storageClass=ARCHIVE", ...as }), 403, -90008);
    expectDataError(await file(bucket, "doc.txt", { method: "PUT", query: "tagging", body: '{"Tags":[{"Key":"a","Value":"b"}]}', ...as }), 403, -90008);
    expectDataError(await file(bucket, "doc.txt", { method: "PUT", query: "acl", headers: { "X-Ufile-Object-Acl": "private" }, ...as }), 403, -90008);
    expectDataError(await file(bucket, "doc.txt", { method: "POST", query: "opmeta", body: '{"op":"set","metak":"mimetype","metav":"text/html"}', ...as }), 403, -90008);
    expectDataError(await file(bucket, "doc.txt", { method: "PUT", body: "replaced", ...as }), 403, -90008);
    expectDataError(await file(bucket, "other.txt", { method: "PUT", query: "newFileName=doc.txt&force=true", ...as }), 403, -90008);

    const head = await file(bucket, "doc.txt", { method: "HEAD" });
    expect(head.headers["x-ufile-storage-class"]).toBe("STANDARD");
    expect(head.headers["content-type"]).toBe("text/plain");
    expect((await file(bucket, "doc.txt")).text()).toBe("kept");
    expect((await file(bucket, "doc.txt", { query: "tagging" })).json().Tags).toEqual([]);
    expect((await file(bucket, "doc.txt", { query: "acl" })).json().AccessControlList.Grant).toBe("default");
    expect((await file(bucket, "other.txt")).text()).toBe("other");

    // Creating stays allowed.
    expect((await file(bucket, "new.txt", { method: "PUT", body: "fresh", ...as })).status).toBe(200);
  });

  it("S3: no overwrite and no in-place metadata or class change", async () => {
    const bucket = await newBucket("private");
    const root = (req: Parameters<typeof signV4>[0]) => request(signV4(req));
    expect((await root({ method: "PUT", path: s3Path(bucket, "doc.txt"), body: "kept", headers: { "content-type": "text/plain" } })).status).toBe(200);
    const key = asAccessKey(await createToken({ ...ALL_RIGHTS, "AllowedOps.4": "TOKEN_DENY_UPDATE" }));
    const overwrite = await request(signV4({ method: "PUT", path: s3Path(bucket, "doc.txt"), body: "replaced" }, { key }));
    expect(overwrite.status).toBe(403);
    expect(s3Code(overwrite)).toBe("AccessDenied");
    const self = await request(
      signV4(
        {
          method: "PUT",
          path: s3Path(bucket, "doc.txt"),
          headers: { "x-amz-copy-source": `/${bucket}/doc.txt`, "x-amz-metadata-directive": "REPLACE", "x-amz-storage-class": "GLACIER", "content-type": "text/html" },
        },
        { key },
      ),
    );
    expect(self.status).toBe(403);
    expect(s3Code(self)).toBe("AccessDenied");
    const head = await root({ method: "HEAD", path: s3Path(bucket, "doc.txt") });
    expect(head.headers["content-type"]).toBe("text/plain");
    expect(head.headers["x-amz-storage-class"] ?? "STANDARD").toBe("STANDARD");
    expect((await root({ method: "GET", path: s3Path(bucket, "doc.txt") })).text()).toBe("kept");
  });
});

describe("SigV4: a header signature covers every x-amz-* header and Content-MD5", () => {
  it("a replayed PutObject with an unsigned x-amz-copy-source does not copy a private object", async () => {
    const secretBucket = await newBucket("private");
    const pub = await newBucket("public");
    expect((await request(signV4({ method: "PUT", path: s3Path(secretBucket, "secret.txt"), body: "the secret" }))).status).toBe(200);
    // Signed as the attack's client signed it: host, x-amz-content-sha256 (UNSIGNED-PAYLOAD), x-amz-date.
    const signed = signV4({ method: "PUT", path: s3Path(pub, "target.txt"), body: "" });
    const extras: Record<string, string>[] = [
      { "x-amz-copy-source": `/${secretBucket}/secret.txt` },
      { "x-amz-storage-class": "GLACIER" },
      { "x-amz-meta-owner": "mallory" },
      { "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==" },
    ];
    for (const extra of extras) {
      const res = await request({ ...signed, headers: { ...signed.headers, ...extra } });
      expect(res.status, res.text()).toBe(403);
      expect(s3Code(res)).toBe("AccessDenied");
      expect(s3Message(res)).toBe("There were headers present in the request which were not signed");
    }
    expect((await request(signV4({ method: "HEAD", path: s3Path(pub, "target.txt") }))).status).toBe(404);
    expect((await anonymousGet(pub, "target.txt")).status).toBe(404);
    // The request as signed still runs.
    expect((await request(signed)).status).toBe(200);
  });
});

describe("S3 ListBuckets runs through the token's rules", () => {
  it("an expired token, one outside its IP lists, or one without LIST lists nothing", async () => {
    const bucket = await newBucket("private");
    const list = (key: AccessKey) => request(signV4({ method: "GET", path: "/" }, { key }));
    const tokens = [
      await createToken({ ...ALL_RIGHTS, ExpireTime: now() - 60 }),
      await createToken({ ...ALL_RIGHTS, "WhiteIPList.0": "10.9.9.9" }),
      await createToken({ "AllowedOps.0": "TOKEN_ALLOW_READ", "AllowedOps.1": "TOKEN_ALLOW_WRITE" }),
    ];
    for (const token of tokens) {
      const res = await list(asAccessKey(token));
      expect(res.status, res.text()).toBe(403);
      expect(s3Code(res)).toBe("AccessDenied");
      expect(res.text()).not.toContain(bucket);
    }
    const lister = await list(asAccessKey(await createToken({ "AllowedOps.0": "TOKEN_ALLOW_LIST", "AllowedBuckets.0": bucket })));
    expect(lister.status, lister.text()).toBe(200);
    expect([...lister.text().matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1])).toEqual([bucket]);
    expect((await list(ROOT_ACCESS_KEY)).text()).toContain(bucket);
  });
});
