// Issue 11: object tagging (`?tagging`) and object ACLs (`?acl`, `x-ufile-object-acl`) as the Go SDK
// sends them, over real HTTP; anonymous reads decided by the object's ACL.
import { describe, expect, it } from "vitest";
import { file, newBucket, putFile } from "./client";

const tagsOf = async (bucket: string, key: string) => {
  const res = await file(bucket, key, { query: "tagging" });
  expect(res.status).toBe(200);
  return res.json().Tags;
};

/** Go PutObjectTagging: JSON body, no Content-Type, signed like any PUT of the key. */
const putTags = (bucket: string, key: string, body: unknown) =>
  file(bucket, key, { method: "PUT", query: "tagging", body: typeof body === "string" ? body : JSON.stringify(body) });

describe("object tagging", () => {
  it("PUT, GET and DELETE ?tagging round trip; a PUT replaces the set", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "t.txt", "tagged");
    expect(await tagsOf(bucket, "t.txt")).toEqual([]);
    const tags = [
      { Key: "project", Value: "edge file" },
      { Key: "owner@team", Value: "a+b=c/d:e_f.g-h" },
    ];
    expect((await putTags(bucket, "t.txt", { Tags: tags })).status).toBe(200);
    expect(await tagsOf(bucket, "t.txt")).toEqual(tags);
    expect((await putTags(bucket, "t.txt", { Tags: [{ Key: "only", Value: "one" }] })).status).toBe(200);
    expect(await tagsOf(bucket, "t.txt")).toEqual([{ Key: "only", Value: "one" }]);
    // Any Unicode space separator is a space, as in S3's tag characters (an ideographic space, a no-break space).
    const spaced = [{ Key: "年度\u3000报告", Value: "a\u00a0b" }];
    expect((await putTags(bucket, "t.txt", { Tags: spaced })).status).toBe(200);
    expect(await tagsOf(bucket, "t.txt")).toEqual(spaced);
    const del = await file(bucket, "t.txt", { method: "DELETE", query: "tagging" });
    expect(del.status).toBe(204);
    expect(await tagsOf(bucket, "t.txt")).toEqual([]);
    // The object itself is untouched.
    expect((await file(bucket, "t.txt")).text()).toBe("tagged");
  });

  it("refuses tag sets over the limits with a clear 400, and missing objects with 404", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "t.txt", "x");
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    const cases: [unknown, string][] = [
      [{ Tags: eleven }, "at most 10 tags"],
      [{ Tags: [{ Key: "k".repeat(129), Value: "v" }] }, "at most 128 characters"],
      [{ Tags: [{ Key: "k", Value: "v".repeat(257) }] }, "at most 256 characters"],
      [{ Tags: [{ Key: "", Value: "v" }] }, "may not be empty"],
      [{ Tags: [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }] }, "appears twice"],
      [{ Tags: [{ Key: "semi;colon", Value: "v" }] }, "only letters"],
      [{ tags: [] }, '{"Tags"'],
      ["not json", "not JSON"],
    ];
    for (const [body, message] of cases) {
      const res = await putTags(bucket, "t.txt", body);
      expect(res.status, message).toBe(400);
      expect(res.json().RetCode).toBe(-90001);
      expect(res.json().ErrMsg).toContain(message);
    }
    expect(await tagsOf(bucket, "t.txt")).toEqual([]);
    const tenOk = Array.from({ length: 10 }, (_, i) => ({ Key: `k${i}`.padEnd(128, "k"), Value: "v".repeat(256) }));
    expect((await putTags(bucket, "t.txt", { Tags: tenOk })).status).toBe(200);
    const missing = await putTags(bucket, "nope.txt", { Tags: [] });
    expect(missing.status).toBe(404);
    expect(missing.json().RetCode).toBe(-148654);
  });

  it("Copy and Rename keep the tags; an overwrite and UploadHit start without", async () => {
    const bucket = await newBucket();
    const etag = await putFile(bucket, "src.txt", "source");
    const tags = [{ Key: "k", Value: "v" }];
    await putTags(bucket, "src.txt", { Tags: tags });
    const copy = await file(bucket, "copy.txt", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${bucket}/src.txt` } });
    expect(copy.status).toBe(200);
    expect(await tagsOf(bucket, "copy.txt")).toEqual(tags);
    expect((await file(bucket, "copy.txt", { method: "PUT", query: "newFileName=moved.txt" })).status).toBe(200);
    expect(await tagsOf(bucket, "moved.txt")).toEqual(tags);
    await putFile(bucket, "moved.txt", "new version");
    expect(await tagsOf(bucket, "moved.txt")).toEqual([]);
    const hit = await file(bucket, "uploadhit", { method: "POST", query: `Hash=${etag}&FileName=hit.txt&FileSize=6`, signedKey: "hit.txt" });
    expect(hit.status).toBe(200);
    expect(await tagsOf(bucket, "hit.txt")).toEqual([]);
  });

  it("is refused on a presigned URL (the signature does not cover ?tagging)", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "t.txt", "x");
    const res = await file(bucket, "t.txt", { query: "tagging", auth: "query" });
    expect(res.status).toBe(403);
  });
});

describe("object ACL", () => {
  const anonymousGet = (bucket: string, key: string) => file(bucket, key, { auth: "none" });
  const setAcl = (bucket: string, key: string, acl: string) =>
    file(bucket, key, { method: "PUT", query: "acl", headers: { "x-ufile-object-acl": acl } });
  const aclOf = async (bucket: string, key: string) => {
    const res = await file(bucket, key, { query: "acl" });
    expect(res.status).toBe(200);
    return res.json().AccessControlList.Grant;
  };

  it("public-read in a private bucket: anonymous GET and HEAD succeed, other keys stay private", async () => {
    const bucket = await newBucket("private");
    await putFile(bucket, "open.txt", "for everyone", "text/plain");
    await putFile(bucket, "closed.txt", "secret", "text/plain");
    expect((await anonymousGet(bucket, "open.txt")).status).toBe(403);
    expect(await aclOf(bucket, "open.txt")).toBe("default");

    expect((await setAcl(bucket, "open.txt", "public-read")).status).toBe(200);
    const got = await file(bucket, "open.txt", { query: "acl" });
    expect(got.json()).toMatchObject({ AccessControlList: { Grant: "public-read" }, Owner: { ID: expect.any(String) } });
    const anon = await anonymousGet(bucket, "open.txt");
    expect(anon.status).toBe(200);
    expect(anon.text()).toBe("for everyone");
    expect((await file(bucket, "open.txt", { method: "HEAD", auth: "none" })).status).toBe(200);
    expect((await anonymousGet(bucket, "closed.txt")).status).toBe(403);
    // Reading is all it grants.
    expect((await file(bucket, "open.txt", { method: "DELETE", auth: "none" })).status).toBe(403);
    expect((await file(bucket, "open.txt", { method: "PUT", auth: "none", body: "x" })).status).toBe(403);
    // Back to default: private again.
    expect((await setAcl(bucket, "open.txt", "default")).status).toBe(200);
    expect((await anonymousGet(bucket, "open.txt")).status).toBe(403);
  });

  it("private in a public bucket: anonymous reads refused, signed reads fine", async () => {
    const bucket = await newBucket("public");
    await putFile(bucket, "hidden.txt", "hidden");
    await putFile(bucket, "shown.txt", "shown");
    expect((await setAcl(bucket, "hidden.txt", "private")).status).toBe(200);
    const anon = await anonymousGet(bucket, "hidden.txt");
    expect(anon.status).toBe(403);
    expect(anon.json().RetCode).toBe(-148643);
    expect((await file(bucket, "hidden.txt", { method: "HEAD", auth: "none" })).status).toBe(403);
    expect((await file(bucket, "hidden.txt")).status).toBe(200);
    expect((await anonymousGet(bucket, "shown.txt")).status).toBe(200);
  });

  it("set at write time with x-ufile-object-acl; an overwrite resets it; Copy does not inherit it", async () => {
    const bucket = await newBucket("private");
    const put = await file(bucket, "w.txt", { method: "PUT", body: "x", headers: { "Content-Type": "text/plain", "X-Ufile-Object-Acl": "public-read" } });
    expect(put.status).toBe(200);
    expect((await anonymousGet(bucket, "w.txt")).status).toBe(200);
    const copy = await file(bucket, "c.txt", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${bucket}/w.txt` } });
    expect(copy.status).toBe(200);
    expect(await aclOf(bucket, "c.txt")).toBe("default");
    await putFile(bucket, "w.txt", "y");
    expect((await anonymousGet(bucket, "w.txt")).status).toBe(403);
  });

  it("refuses unknown ACLs and missing objects", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "a.txt", "x");
    const bad = await setAcl(bucket, "a.txt", "public-read-write");
    expect(bad.status).toBe(400);
    expect(bad.json().ErrMsg).toContain("default, public-read, private");
    expect((await setAcl(bucket, "nope.txt", "public-read")).status).toBe(404);
    expect((await file(bucket, "nope.txt", { query: "acl" })).status).toBe(404);
  });
});
