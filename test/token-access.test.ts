import { describe, expect, it } from "vitest";
import type { ParamValue } from "../src/control/params";
import { control, file, newBucket, postFile, presignedUrl, put, uniqueName, call, type Keys } from "./helpers";

/**
 * Token enforcement on the data plane, end to end over HTTP (docs/protocol.md §2.6, §8).
 * Tokens are minted with CreateUFileToken (root keys); requests are then signed with the token's
 * keys in the header, the query (presigned URL) or the PostFile form. Every refusal is checked
 * for its exact status and RetCode, and for having changed nothing (read back with the root keys).
 * Each test works in projects of its own: TOKEN_LIMIT_PER_PROJECT is 5 in test/vitest.config.ts.
 */
type Body = Record<string, any>;
type Token = Keys & { id: string; projectId: string };

const now = () => Math.floor(Date.now() / 1000);
const newProject = () => `org-${uniqueName("ta")}`;

const DENIED = { status: 403, code: -90008, msg: "token permission denied" };
const EXPIRED = { status: 403, code: -148660, msg: "token expires" };
const UNKNOWN_KEY = { status: 403, code: -148658, msg: "invalid signature" };
type Refusal = typeof DENIED;

/** A token of `projectId`, minted through the control plane with the root keys. */
async function mint(
  projectId: string,
  scope: { ops?: string[]; prefixes?: string[]; buckets?: string[]; expire?: number } = {},
): Promise<Token> {
  const params: Record<string, ParamValue> = { Action: "CreateUFileToken", ProjectId: projectId, TokenName: "t" };
  (scope.ops ?? []).forEach((v, i) => (params[`AllowedOps.${i}`] = `TOKEN_ALLOW_${v}`));
  (scope.prefixes ?? []).forEach((v, i) => (params[`AllowedPrefixes.${i}`] = v));
  (scope.buckets ?? []).forEach((v, i) => (params[`AllowedBuckets.${i}`] = v));
  if (scope.expire !== undefined) params.ExpireTime = scope.expire;
  const { body } = await control(params);
  expect(body.RetCode, body.Message).toBe(0);
  const set = body.UFileTokenSet;
  return { id: set.TokenId, projectId, publicKey: set.PublicKey, privateKey: set.PrivateKey };
}

async function tokenAction(t: Token, Action: string, extra: Record<string, ParamValue> = {}): Promise<void> {
  const { body } = await control({ Action, ProjectId: t.projectId, TokenId: t.id, ...extra });
  expect(body.RetCode, body.Message).toBe(0);
}

/** An error response: exact status, `Content-Type: application/json`, body exactly {RetCode, ErrMsg}. HEAD: no body. */
async function expectRefused(res: Response, want: Refusal, method = "GET"): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(want.status);
  if (method === "HEAD") {
    expect(text).toBe("");
    return;
  }
  expect(res.headers.get("Content-Type")).toBe("application/json");
  const body = JSON.parse(text) as Body;
  expect(Object.keys(body).sort()).toEqual(["ErrMsg", "RetCode"]);
  expect(body.RetCode).toBe(want.code);
  expect(body.ErrMsg.startsWith(want.msg), body.ErrMsg).toBe(true);
}

/** What the root keys see under a key: status, bytes, ETag, MIME, storage class, restore header. */
async function rootView(bucket: string, key: string) {
  const res = await file(bucket, key);
  return {
    status: res.status,
    // Decoded by hand: res.text() on an image/* body makes workerd print a warning.
    text: res.status === 200 ? new TextDecoder().decode(await res.arrayBuffer()) : (await res.body?.cancel(), null),
    etag: res.headers.get("ETag"),
    mime: res.status === 200 ? res.headers.get("Content-Type") : null,
    storageClass: res.headers.get("X-Ufile-Storage-Class"),
  };
}

async function rootHead(bucket: string, key: string): Promise<Headers> {
  const res = await file(bucket, key, { method: "HEAD" });
  expect(res.status).toBe(200);
  return res.headers;
}

async function expectAbsent(bucket: string, key: string): Promise<void> {
  const res = await file(bucket, key, { method: "HEAD" });
  expect(res.status, `${bucket}/${key} should not exist`).toBe(404);
}

/**
 * A project with two buckets (A, B) and a second project with bucket C, each holding objects
 * under `photos/`, its sibling `photos2/` and `other/`.
 */
async function world() {
  const P = newProject();
  const Q = newProject();
  const A = await newBucket("private", P);
  const B = await newBucket("private", P);
  const C = await newBucket("private", Q);
  const etags: Record<string, string> = {};
  for (const bucket of [A, B, C]) {
    for (const key of ["photos/a.txt", "photos/b.txt", "photos2/x.txt", "other/o.txt"]) {
      etags[`${bucket}/${key}`] = await put(bucket, key, `${bucket}:${key}`);
    }
  }
  return { P, Q, A, B, C, etags };
}

const body = (bucket: string, key: string) => `${bucket}:${key}`;

// ───────────────────────── READ ─────────────────────────

describe("READ", () => {
  it("GetFile, HEAD and presigned GET under the allowed prefix and bucket", async () => {
    const { P, A } = await world();
    const t = await mint(P, { ops: ["READ"], prefixes: ["photos/"], buckets: [A], expire: now() + 3600 });
    const get = await file(A, "photos/a.txt", { keys: t });
    expect(get.status).toBe(200);
    expect(await get.text()).toBe(body(A, "photos/a.txt"));
    const head = await file(A, "photos/a.txt", { method: "HEAD", keys: t });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe(String(body(A, "photos/a.txt").length));
    for (const rawSignature of [false, true]) {
      const url = await presignedUrl(A, "photos/b.txt", { keys: t, expires: now() + 600, rawSignature });
      const res = await call(url);
      expect(res.status, `raw=${rawSignature}`).toBe(200);
      expect(await res.text()).toBe(body(A, "photos/b.txt"));
    }
    const presignedHead = await call(await presignedUrl(A, "photos/a.txt", { method: "HEAD", keys: t, expires: now() + 600 }), { method: "HEAD" });
    expect(presignedHead.status).toBe(200);
  });

  it("refused just outside: sibling prefix photos2/, other prefix, other bucket (header and presigned)", async () => {
    const { P, A, B } = await world();
    const t = await mint(P, { ops: ["READ"], prefixes: ["photos/"], buckets: [A] });
    await expectRefused(await file(A, "photos2/x.txt", { keys: t }), DENIED);
    await expectRefused(await file(A, "other/o.txt", { keys: t }), DENIED);
    await expectRefused(await file(A, "photos2/x.txt", { method: "HEAD", keys: t }), DENIED, "HEAD");
    await expectRefused(await file(B, "photos/a.txt", { keys: t }), DENIED);
    await expectRefused(await file(B, "photos/a.txt", { method: "HEAD", keys: t }), DENIED, "HEAD");
    await expectRefused(await call(await presignedUrl(A, "photos2/x.txt", { keys: t, expires: now() + 600 })), DENIED);
    await expectRefused(await call(await presignedUrl(B, "photos/a.txt", { keys: t, expires: now() + 600 })), DENIED);
    // A missing key under the prefix is a 404, not a refusal: the scope check passed.
    await expectRefused(await file(A, "photos/missing", { keys: t }), { status: 404, code: -148654, msg: "file not exist" });
  });

  it("refused for a token without READ", async () => {
    const { P, A } = await world();
    const t = await mint(P, { ops: ["WRITE", "DELETE", "LIST"] });
    await expectRefused(await file(A, "photos/a.txt", { keys: t }), DENIED);
    await expectRefused(await file(A, "photos/a.txt", { method: "HEAD", keys: t }), DENIED, "HEAD");
    await expectRefused(await call(await presignedUrl(A, "photos/a.txt", { keys: t, expires: now() + 600 })), DENIED);
  });

  it("refused one second past ExpireTime (-148660), header and presigned alike", async () => {
    const { P, A } = await world();
    const t = await mint(P, { ops: ["READ"], expire: now() + 60 });
    expect((await file(A, "photos/a.txt", { keys: t })).status).toBe(200);
    const url = await presignedUrl(A, "photos/a.txt", { keys: t, expires: now() + 600 });
    expect((await call(url)).status).toBe(200);

    await tokenAction(t, "UpdateUFileToken", { ExpireTime: now() - 1 });
    await expectRefused(await file(A, "photos/a.txt", { keys: t }), EXPIRED);
    await expectRefused(await file(A, "photos/a.txt", { method: "HEAD", keys: t }), EXPIRED, "HEAD");
    // The URL's own Expires is still in the future: the token's ExpireTime decides.
    await expectRefused(await call(url), EXPIRED);

    // Moved back into the future, the same keys work again (nothing else was changed).
    await tokenAction(t, "UpdateUFileToken", { ExpireTime: now() + 60 });
    expect((await file(A, "photos/a.txt", { keys: t })).status).toBe(200);
    // A presigned URL one second past its own Expires is refused with the same code.
    await expectRefused(await call(await presignedUrl(A, "photos/a.txt", { keys: t, expires: now() - 1 })), EXPIRED);
  });

  it("refused at once after DeleteUFileToken (-148658, the key is unknown)", async () => {
    const { P, A } = await world();
    const t = await mint(P, { ops: ["READ"] });
    const url = await presignedUrl(A, "photos/a.txt", { keys: t, expires: now() + 600 });
    expect((await file(A, "photos/a.txt", { keys: t })).status).toBe(200);
    expect((await call(url)).status).toBe(200);
    await tokenAction(t, "DeleteUFileToken");
    await expectRefused(await file(A, "photos/a.txt", { keys: t }), UNKNOWN_KEY);
    await expectRefused(await file(A, "photos/a.txt", { method: "HEAD", keys: t }), UNKNOWN_KEY, "HEAD");
    await expectRefused(await call(url), UNKNOWN_KEY);
  });

  it("UpdateUFileToken narrowing the scope applies to the very next request", async () => {
    const { P, A } = await world();
    const t = await mint(P, { ops: ["READ"], prefixes: ["*"] });
    expect((await file(A, "other/o.txt", { keys: t })).status).toBe(200);
    await tokenAction(t, "UpdateUFileToken", { "AllowedPrefixes.0": "photos/" });
    await expectRefused(await file(A, "other/o.txt", { keys: t }), DENIED);
    expect((await file(A, "photos/a.txt", { keys: t })).status).toBe(200);
    await tokenAction(t, "UpdateUFileToken", { "AllowedOps.0": "TOKEN_ALLOW_LIST" });
    await expectRefused(await file(A, "photos/a.txt", { keys: t }), DENIED);
  });

  it("a wrong private key for a live token is refused (-148658)", async () => {
    const { P, A } = await world();
    const t = await mint(P, { ops: ["READ"] });
    await expectRefused(await file(A, "photos/a.txt", { keys: { ...t, privateKey: crypto.randomUUID() } }), UNKNOWN_KEY);
  });

  it("a token cannot read another project's buckets, even with AllowedBuckets * and every right", async () => {
    const { Q, A, C } = await world();
    const t = await mint(Q, { ops: ["READ", "WRITE", "DELETE", "LIST"], prefixes: ["*"], buckets: ["*"] });
    expect((await file(C, "photos/a.txt", { keys: t })).status).toBe(200); // its own project: fine
    await expectRefused(await file(A, "photos/a.txt", { keys: t }), DENIED);
    await expectRefused(await file(A, "photos/a.txt", { method: "HEAD", keys: t }), DENIED, "HEAD");
    await expectRefused(await call(await presignedUrl(A, "photos/a.txt", { keys: t, expires: now() + 600 })), DENIED);
    await expectRefused(await file(A, "", { query: "list&prefix=", signedKey: "", keys: t }), DENIED);
    await expectRefused(await file(A, "photos/a.txt", { method: "PUT", body: "stolen", keys: t }), DENIED);
    await expectRefused(await file(A, "photos/a.txt", { method: "DELETE", keys: t }), DENIED);
    expect((await rootView(A, "photos/a.txt")).text).toBe(body(A, "photos/a.txt"));
    // Naming the other project's bucket explicitly does not help either.
    const named = await mint(Q, { ops: ["READ"], buckets: [A] });
    await expectRefused(await file(A, "photos/a.txt", { keys: named }), DENIED);
  });
});

// ───────────────────────── WRITE ─────────────────────────

describe("WRITE", () => {
  it("PutFile (header and presigned) under the prefix; refused outside it, without WRITE, in another bucket", async () => {
    const { P, A, B, etags } = await world();
    const t = await mint(P, { ops: ["WRITE"], prefixes: ["photos/"], buckets: [A] });
    const ok = await file(A, "photos/new.txt", { method: "PUT", body: "fresh", headers: { "Content-Type": "text/plain" }, keys: t });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ETag")).toBeTruthy();
    expect(await rootView(A, "photos/new.txt")).toMatchObject({ status: 200, text: "fresh", etag: ok.headers.get("ETag") });
    // WRITE alone does not read back.
    await expectRefused(await file(A, "photos/new.txt", { keys: t }), DENIED);

    // Presigned PUT (Go GenPresignedURL signs any method).
    const url = await presignedUrl(A, "photos/presigned.txt", { method: "PUT", keys: t, expires: now() + 600, contentType: "text/plain" });
    const viaUrl = await call(url, { method: "PUT", body: "by url", headers: { "Content-Type": "text/plain" } });
    expect(viaUrl.status).toBe(200);
    expect((await rootView(A, "photos/presigned.txt")).text).toBe("by url");

    // Refused: a new key outside, an existing key outside, another bucket, presigned outside.
    await expectRefused(await file(A, "photos2/new.txt", { method: "PUT", body: "nope", keys: t }), DENIED);
    await expectAbsent(A, "photos2/new.txt");
    await expectRefused(await file(A, "photos2/x.txt", { method: "PUT", body: "overwrite", keys: t }), DENIED);
    expect(await rootView(A, "photos2/x.txt")).toMatchObject({ text: body(A, "photos2/x.txt"), etag: etags[`${A}/photos2/x.txt`] });
    await expectRefused(await file(B, "photos/a.txt", { method: "PUT", body: "overwrite", keys: t }), DENIED);
    expect(await rootView(B, "photos/a.txt")).toMatchObject({ text: body(B, "photos/a.txt"), etag: etags[`${B}/photos/a.txt`] });
    const outside = await presignedUrl(A, "other/p.txt", { method: "PUT", keys: t, expires: now() + 600, contentType: "text/plain" });
    await expectRefused(await call(outside, { method: "PUT", body: "nope", headers: { "Content-Type": "text/plain" } }), DENIED);
    await expectAbsent(A, "other/p.txt");

    const reader = await mint(P, { ops: ["READ", "LIST", "DELETE"] });
    await expectRefused(await file(A, "photos/a.txt", { method: "PUT", body: "overwrite", keys: reader }), DENIED);
    expect(await rootView(A, "photos/a.txt")).toMatchObject({ text: body(A, "photos/a.txt"), etag: etags[`${A}/photos/a.txt`] });
  });

  it("PostFile signed with the token in the form; refused outside, without WRITE, expired, deleted", async () => {
    const { P, A, B, etags } = await world();
    const t = await mint(P, { ops: ["WRITE"], prefixes: ["uploads/"], buckets: [A], expire: now() + 3600 });
    const ok = await postFile(A, "uploads/form.png", "png bytes", { keys: t, mime: "image/png" });
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(await rootView(A, "uploads/form.png")).toMatchObject({ status: 200, text: "png bytes", mime: "image/png", etag: ok.headers.get("ETag") });

    await expectRefused(await postFile(A, "uploads2/form.png", "x", { keys: t }), DENIED);
    await expectAbsent(A, "uploads2/form.png");
    await expectRefused(await postFile(A, "photos2/x.txt", "overwrite", { keys: t }), DENIED);
    expect((await rootView(A, "photos2/x.txt")).etag).toBe(etags[`${A}/photos2/x.txt`]);
    await expectRefused(await postFile(B, "uploads/form.png", "x", { keys: t }), DENIED);
    await expectAbsent(B, "uploads/form.png");

    const reader = await mint(P, { ops: ["READ"], prefixes: ["uploads/"] });
    await expectRefused(await postFile(A, "uploads/r.png", "x", { keys: reader }), DENIED);
    await expectAbsent(A, "uploads/r.png");

    await tokenAction(t, "UpdateUFileToken", { ExpireTime: now() - 1 });
    await expectRefused(await postFile(A, "uploads/late.png", "x", { keys: t }), EXPIRED);
    await expectAbsent(A, "uploads/late.png");
    await tokenAction(t, "DeleteUFileToken");
    await expectRefused(await postFile(A, "uploads/gone.png", "x", { keys: t }), UNKNOWN_KEY);
    await expectAbsent(A, "uploads/gone.png");
  });

  it("UploadHit needs WRITE on FileName", async () => {
    const { P, A, etags } = await world();
    const t = await mint(P, { ops: ["WRITE"], prefixes: ["photos/"], buckets: [A] });
    const hash = etags[`${A}/photos/a.txt`];
    const size = body(A, "photos/a.txt").length;
    const hit = (fileName: string, keys: Keys) =>
      file(A, "uploadhit", {
        method: "POST",
        query: `Hash=${encodeURIComponent(hash)}&FileName=${encodeURIComponent(fileName)}&FileSize=${size}`,
        signedKey: fileName,
        keys,
      });
    expect((await hit("photos/hit.txt", t)).status).toBe(200);
    expect(await rootView(A, "photos/hit.txt")).toMatchObject({ status: 200, text: body(A, "photos/a.txt"), etag: hash });
    await expectRefused(await hit("photos2/hit.txt", t), DENIED);
    await expectAbsent(A, "photos2/hit.txt");
    const reader = await mint(P, { ops: ["READ", "LIST"] });
    await expectRefused(await hit("photos/hit2.txt", reader), DENIED);
    await expectAbsent(A, "photos/hit2.txt");
  });

  it("OpMeta needs WRITE on the key", async () => {
    const { P, A } = await world();
    const t = await mint(P, { ops: ["WRITE"], prefixes: ["photos/"], buckets: [A] });
    const opmeta = (key: string, keys: Keys) =>
      file(A, key, {
        method: "POST",
        query: "opmeta",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ op: "set", metak: "mimetype", metav: "image/jpeg" }),
        keys,
      });
    expect((await opmeta("photos/a.txt", t)).status).toBe(200);
    expect((await rootView(A, "photos/a.txt")).mime).toBe("image/jpeg");
    await expectRefused(await opmeta("photos2/x.txt", t), DENIED);
    expect((await rootView(A, "photos2/x.txt")).mime).toBe("text/plain");
    const reader = await mint(P, { ops: ["READ"] });
    await expectRefused(await opmeta("photos/b.txt", reader), DENIED);
    expect((await rootView(A, "photos/b.txt")).mime).toBe("text/plain");
  });

  it("ClassSwitch and Restore need WRITE on the key", async () => {
    const { P, A } = await world();
    await put(A, "photos/arc.bin", "cold", { "X-Ufile-Storage-Class": "ARCHIVE" });
    await put(A, "photos2/arc.bin", "cold", { "X-Ufile-Storage-Class": "ARCHIVE" });
    const t = await mint(P, { ops: ["WRITE"], prefixes: ["photos/"], buckets: [A] });
    const sw = (key: string, keys: Keys) => file(A, key, { method: "PUT", query: "storageClass=IA", keys });
    const restore = (key: string, keys: Keys) => file(A, key, { method: "PUT", query: "restore", keys });

    expect((await sw("photos/a.txt", t)).status).toBe(200);
    expect((await rootHead(A, "photos/a.txt")).get("X-Ufile-Storage-Class")).toBe("IA");
    await expectRefused(await sw("photos2/x.txt", t), DENIED);
    expect((await rootHead(A, "photos2/x.txt")).get("X-Ufile-Storage-Class")).toBe("STANDARD");

    expect((await restore("photos/arc.bin", t)).status).toBe(200);
    expect((await rootHead(A, "photos/arc.bin")).get("X-Ufile-Restore")).toMatch(/^ongoing-request=/);
    await expectRefused(await restore("photos2/arc.bin", t), DENIED);
    expect((await rootHead(A, "photos2/arc.bin")).get("X-Ufile-Restore")).toBeNull();

    const reader = await mint(P, { ops: ["READ", "LIST", "DELETE"] });
    await expectRefused(await sw("photos/b.txt", reader), DENIED);
    expect((await rootHead(A, "photos/b.txt")).get("X-Ufile-Storage-Class")).toBe("STANDARD");
  });

  it("Copy needs READ on the source and WRITE on the target", async () => {
    const { P, A, B, C, etags } = await world();
    const t = await mint(P, { ops: ["READ", "WRITE"], prefixes: ["photos/"], buckets: [A] });
    const copy = (bucket: string, key: string, source: string, keys: Keys) =>
      file(bucket, key, { method: "PUT", headers: { "X-Ufile-Copy-Source": source }, keys });

    const ok = await copy(A, "photos/copy.txt", `/${A}/photos/a.txt`, t);
    expect(ok.status).toBe(200);
    expect(await rootView(A, "photos/copy.txt")).toMatchObject({ status: 200, text: body(A, "photos/a.txt"), etag: etags[`${A}/photos/a.txt`] });

    // Source outside the prefix (sibling) → refused, target untouched.
    await expectRefused(await copy(A, "photos/c2.txt", `/${A}/photos2/x.txt`, t), DENIED);
    await expectAbsent(A, "photos/c2.txt");
    await expectRefused(await copy(A, "photos/b.txt", `/${A}/other/o.txt`, t), DENIED);
    expect((await rootView(A, "photos/b.txt")).etag).toBe(etags[`${A}/photos/b.txt`]);
    // Target outside the prefix → refused; an existing target keeps its bytes.
    await expectRefused(await copy(A, "photos2/new.txt", `/${A}/photos/a.txt`, t), DENIED);
    await expectAbsent(A, "photos2/new.txt");
    await expectRefused(await copy(A, "photos2/x.txt", `/${A}/photos/a.txt`, t), DENIED);
    expect(await rootView(A, "photos2/x.txt")).toMatchObject({ text: body(A, "photos2/x.txt"), etag: etags[`${A}/photos2/x.txt`] });
    // Source in a bucket outside AllowedBuckets (same project), and in another project's bucket.
    await expectRefused(await copy(A, "photos/fromB.txt", `/${B}/photos/a.txt`, t), DENIED);
    await expectAbsent(A, "photos/fromB.txt");
    const wide = await mint(P, { ops: ["READ", "WRITE"], prefixes: ["*"], buckets: ["*"] });
    expect((await copy(A, "photos/fromB.txt", `/${B}/photos/a.txt`, wide)).status).toBe(200);
    await expectRefused(await copy(A, "photos/fromC.txt", `/${C}/photos/a.txt`, wide), DENIED);
    await expectAbsent(A, "photos/fromC.txt");

    // WRITE without READ: refused; READ without WRITE: refused.
    const writer = await mint(P, { ops: ["WRITE"], prefixes: ["photos/"] });
    await expectRefused(await copy(A, "photos/w.txt", `/${A}/photos/a.txt`, writer), DENIED);
    await expectAbsent(A, "photos/w.txt");
    const reader = await mint(P, { ops: ["READ"], prefixes: ["photos/"] });
    await expectRefused(await copy(A, "photos/r.txt", `/${A}/photos/a.txt`, reader), DENIED);
    await expectAbsent(A, "photos/r.txt");
  });

  it("multipart: Initiate, UploadPart, Finish (on the final key), Abort need WRITE; ListParts and GetMultiUploadId need LIST", async () => {
    const { P, A, etags } = await world();
    const t = await mint(P, { ops: ["WRITE", "LIST"], prefixes: ["photos/"], buckets: [A] });
    const mp = (key: string, method: string, query: string, keys?: Keys, bodyText?: string) =>
      file(A, key, { method, query, keys, ...(bodyText === undefined ? {} : { body: bodyText, headers: { "Content-Type": "text/plain" } }) });
    const initiate = async (key: string, keys?: Keys) => {
      const res = await mp(key, "POST", "uploads", keys);
      expect(res.status).toBe(200);
      return ((await res.json()) as Body).UploadId as string;
    };
    const part = (key: string, id: string, keys?: Keys) => mp(key, "PUT", `uploadId=${id}&partNumber=0`, keys, "part zero");
    const listParts = (id: string, keys?: Keys) => file(A, "", { query: `muploadpart&uploadId=${id}`, signedKey: "", keys });
    const partCount = async (id: string) => {
      const res = await listParts(id);
      expect(res.status).toBe(200);
      return ((await res.json()) as Body).Parts.length as number;
    };

    // Inside the prefix: the whole cycle works with the token alone.
    const id = await initiate("photos/big.bin", t);
    const up = await part("photos/big.bin", id, t);
    expect(up.status).toBe(200);
    const partEtag = up.headers.get("ETag")!;
    expect((await listParts(id, t)).status).toBe(200);
    const ids = await file(A, "", { query: "muploadid&prefix=photos/", signedKey: "", keys: t });
    expect(ids.status).toBe(200);
    expect(((await ids.json()) as Body).DataSet.map((u: Body) => u.UploadId)).toEqual([id]);
    const done = await mp("photos/big.bin", "POST", `uploadId=${id}`, t, partEtag);
    expect(done.status).toBe(200);
    expect((await rootView(A, "photos/big.bin")).text).toBe("part zero");

    // Outside the prefix: an upload the root started at photos2/ cannot be touched by the token.
    await expectRefused(await mp("photos2/big.bin", "POST", "uploads", t), DENIED);
    const rootId = await initiate("photos2/big.bin");
    await expectRefused(await part("photos2/big.bin", rootId, t), DENIED);
    expect(await partCount(rootId)).toBe(0);
    await expectRefused(await listParts(rootId, t), DENIED);
    await expectRefused(await file(A, "", { query: "muploadid&prefix=photos2/", signedKey: "", keys: t }), DENIED);
    await expectRefused(await file(A, "", { query: "muploadid", signedKey: "", keys: t }), DENIED);
    expect((await part("photos2/big.bin", rootId)).status).toBe(200);
    await expectRefused(await mp("photos2/big.bin", "DELETE", `uploadId=${rootId}`, t), DENIED);
    expect(await partCount(rootId)).toBe(1); // not aborted
    await expectRefused(await mp("photos2/big.bin", "POST", `uploadId=${rootId}`, t, "whatever"), DENIED);
    await expectAbsent(A, "photos2/big.bin");
    // An unknown upload id is refused like a listing outside the prefix: ids are not probed.
    await expectRefused(await listParts(crypto.randomUUID(), t), DENIED);

    // Finish publishes under newKey when the key is taken: WRITE is checked on newKey.
    const second = await initiate("photos/a.txt", t); // photos/a.txt exists
    const etag0 = (await part("photos/a.txt", second, t)).headers.get("ETag")!;
    await expectRefused(await mp("photos/a.txt", "POST", `uploadId=${second}&newKey=photos2/moved.bin`, t, etag0), DENIED);
    await expectAbsent(A, "photos2/moved.bin");
    expect((await rootView(A, "photos/a.txt")).etag).toBe(etags[`${A}/photos/a.txt`]);
    expect(await partCount(second)).toBe(1); // still resumable
    const finished = await mp("photos/a.txt", "POST", `uploadId=${second}&newKey=photos/moved.bin`, t, etag0);
    expect(finished.status).toBe(200);
    expect(((await finished.json()) as Body).Key).toBe("photos/moved.bin");
    expect((await rootView(A, "photos/a.txt")).etag).toBe(etags[`${A}/photos/a.txt`]);

    // Abort inside the prefix works; a token without WRITE cannot start, feed or abort.
    const third = await initiate("photos/c.bin", t);
    const lister = await mint(P, { ops: ["READ", "LIST", "DELETE"], prefixes: ["photos/"] });
    await expectRefused(await mp("photos/d.bin", "POST", "uploads", lister), DENIED);
    await expectRefused(await part("photos/c.bin", third, lister), DENIED);
    await expectRefused(await mp("photos/c.bin", "DELETE", `uploadId=${third}`, lister), DENIED);
    expect(await partCount(third)).toBe(0);
    expect((await mp("photos/c.bin", "DELETE", `uploadId=${third}`, t)).status).toBe(200);
    await expectRefused(await listParts(third), { status: 404, code: -90005, msg: "upload id not exist" });
  });
});

// ───────────────────────── DELETE ─────────────────────────

describe("DELETE", () => {
  it("DeleteFile needs DELETE on the key; a refusal leaves the object", async () => {
    const { P, A, B, etags } = await world();
    const t = await mint(P, { ops: ["DELETE"], prefixes: ["photos/"], buckets: [A] });
    const del = (bucket: string, key: string, keys: Keys) => file(bucket, key, { method: "DELETE", keys });
    const ok = await del(A, "photos/a.txt", t);
    expect(ok.status).toBe(204);
    await expectAbsent(A, "photos/a.txt");

    await expectRefused(await del(A, "photos2/x.txt", t), DENIED);
    expect((await rootView(A, "photos2/x.txt")).etag).toBe(etags[`${A}/photos2/x.txt`]);
    await expectRefused(await del(B, "photos/a.txt", t), DENIED);
    expect((await rootView(B, "photos/a.txt")).etag).toBe(etags[`${B}/photos/a.txt`]);
    const other = await mint(P, { ops: ["READ", "WRITE", "LIST"] });
    await expectRefused(await del(A, "photos/b.txt", other), DENIED);
    expect((await rootView(A, "photos/b.txt")).etag).toBe(etags[`${A}/photos/b.txt`]);
  });

  it("Rename needs DELETE on the old key and WRITE on the new one", async () => {
    const { P, A, etags } = await world();
    const t = await mint(P, { ops: ["WRITE", "DELETE"], prefixes: ["photos/"], buckets: [A] });
    const rename = (from: string, to: string, keys: Keys) =>
      file(A, from, { method: "PUT", query: `newFileName=${encodeURIComponent(to)}`, keys });

    expect((await rename("photos/a.txt", "photos/renamed.txt", t)).status).toBe(200);
    await expectAbsent(A, "photos/a.txt");
    expect(await rootView(A, "photos/renamed.txt")).toMatchObject({ text: body(A, "photos/a.txt"), etag: etags[`${A}/photos/a.txt`] });

    // Old key under the prefix, new key outside: nothing moves.
    await expectRefused(await rename("photos/b.txt", "photos2/moved.txt", t), DENIED);
    expect((await rootView(A, "photos/b.txt")).etag).toBe(etags[`${A}/photos/b.txt`]);
    await expectAbsent(A, "photos2/moved.txt");
    // Old key outside, new key under the prefix.
    await expectRefused(await rename("other/o.txt", "photos/in.txt", t), DENIED);
    expect((await rootView(A, "other/o.txt")).etag).toBe(etags[`${A}/other/o.txt`]);
    await expectAbsent(A, "photos/in.txt");

    // WRITE without DELETE, and DELETE without WRITE.
    for (const ops of [["WRITE", "READ"], ["DELETE", "READ"]]) {
      const partial = await mint(P, { ops, prefixes: ["photos/"] });
      await expectRefused(await rename("photos/b.txt", "photos/c.txt", partial), DENIED);
      expect((await rootView(A, "photos/b.txt")).etag).toBe(etags[`${A}/photos/b.txt`]);
      await expectAbsent(A, "photos/c.txt");
    }
  });
});

// ───────────────────────── LIST ─────────────────────────

describe("LIST", () => {
  const list = (bucket: string, query: string, keys: Keys) => file(bucket, "", { query, signedKey: "", keys });

  it("PrefixFileList and ListObjects with a prefix under AllowedPrefixes; refused without, or with a sibling", async () => {
    const { P, A, B } = await world();
    const t = await mint(P, { ops: ["LIST"], prefixes: ["photos/"], buckets: [A] });

    const pfl = await list(A, "list&prefix=photos/", t);
    expect(pfl.status).toBe(200);
    expect(((await pfl.json()) as Body).DataSet.map((d: Body) => d.FileName)).toEqual(["photos/a.txt", "photos/b.txt"]);
    const lo = await list(A, "listobjects&prefix=photos/&delimiter=/", t);
    expect(lo.status).toBe(200);
    expect(((await lo.json()) as Body).Contents.map((d: Body) => d.Key)).toEqual(["photos/a.txt", "photos/b.txt"]);
    // A longer prefix under the allowed one is fine.
    expect((await list(A, "list&prefix=photos/a", t)).status).toBe(200);

    for (const flag of ["list", "listobjects"]) {
      for (const q of [flag, `${flag}&prefix=`, `${flag}&prefix=photos2/`, `${flag}&prefix=photos`, `${flag}&prefix=other/`]) {
        await expectRefused(await list(A, q, t), DENIED);
      }
      await expectRefused(await list(B, `${flag}&prefix=photos/`, t), DENIED);
    }
    const reader = await mint(P, { ops: ["READ", "WRITE", "DELETE"], prefixes: ["*"] });
    await expectRefused(await list(A, "list&prefix=photos/", reader), DENIED);
    await expectRefused(await list(A, "listobjects&prefix=photos/", reader), DENIED);
  });

  it("AllowedPrefixes * lists everything, no prefix needed", async () => {
    const { P, A } = await world();
    const t = await mint(P, { ops: ["LIST"], prefixes: ["*"], buckets: [A] });
    const pfl = await list(A, "list", t);
    expect(pfl.status).toBe(200);
    expect(((await pfl.json()) as Body).DataSet.map((d: Body) => d.FileName)).toEqual(["other/o.txt", "photos/a.txt", "photos/b.txt", "photos2/x.txt"]);
    const lo = await list(A, "listobjects&delimiter=/", t);
    expect(lo.status).toBe(200);
    expect(((await lo.json()) as Body).CommonPrefixes.map((d: Body) => d.Prefix)).toEqual(["other/", "photos/", "photos2/"]);
    expect((await list(A, "list&prefix=photos2/", t)).status).toBe(200);
  });
});

// ───────────────────────── TOKEN_ALLOW_NONE ─────────────────────────

describe("TOKEN_ALLOW_NONE", () => {
  it("the default token allows nothing, and nothing changes", async () => {
    const { P, A, etags } = await world();
    const created = await control({ Action: "CreateUFileToken", ProjectId: P, TokenName: "defaults" });
    expect(created.body.UFileTokenSet.AllowedOps).toEqual(["TOKEN_ALLOW_NONE"]);
    const t: Keys = { publicKey: created.body.UFileTokenSet.PublicKey, privateKey: created.body.UFileTokenSet.PrivateKey };
    const explicit = await mint(P, { ops: ["NONE"] });
    for (const keys of [t, explicit]) {
      await expectRefused(await file(A, "photos/a.txt", { keys }), DENIED);
      await expectRefused(await file(A, "photos/a.txt", { method: "HEAD", keys }), DENIED, "HEAD");
      await expectRefused(await call(await presignedUrl(A, "photos/a.txt", { keys, expires: now() + 600 })), DENIED);
      await expectRefused(await file(A, "photos/a.txt", { method: "PUT", body: "x", keys }), DENIED);
      await expectRefused(await file(A, "photos/n.txt", { method: "PUT", body: "x", keys }), DENIED);
      await expectRefused(await postFile(A, "photos/f.txt", "x", { keys }), DENIED);
      await expectRefused(await file(A, "photos/a.txt", { method: "DELETE", keys }), DENIED);
      await expectRefused(await file(A, "photos/a.txt", { method: "PUT", query: "newFileName=photos/m.txt", keys }), DENIED);
      await expectRefused(await file(A, "photos/c.txt", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${A}/photos/a.txt` }, keys }), DENIED);
      await expectRefused(await file(A, "", { query: "list", signedKey: "", keys }), DENIED);
      await expectRefused(await file(A, "", { query: "listobjects", signedKey: "", keys }), DENIED);
    }
    expect(await rootView(A, "photos/a.txt")).toMatchObject({ text: body(A, "photos/a.txt"), etag: etags[`${A}/photos/a.txt`], mime: "text/plain" });
    for (const key of ["photos/n.txt", "photos/f.txt", "photos/m.txt", "photos/c.txt"]) await expectAbsent(A, key);
  });
});

// ───────────────────────── control plane ─────────────────────────

describe("control plane", () => {
  it("a token key is refused with 15037 even when its data-plane scope is wide", async () => {
    const P = newProject();
    const t = await mint(P, { ops: ["READ", "WRITE", "DELETE", "LIST"], prefixes: ["*"], buckets: ["*"] });
    const BucketName = uniqueName("bkt");
    const { res, body: b } = await control({ Action: "CreateBucket", BucketName, ProjectId: P }, t);
    expect(res.status).toBe(200);
    expect(b.RetCode).toBe(15037);
    const described = await control({ Action: "DescribeBucket", BucketName, ProjectId: P });
    expect(described.body.DataSet ?? []).toEqual([]);
  });
});

// ───────────────────────── docs/tokens.md: browser upload ─────────────────────────

describe("docs/tokens.md: browser upload with a token", () => {
  // The snippet of docs/tokens.md "Example: a browser upload", verbatim; `fetch` goes to the Worker under test.
  const fetch = call;

  /** Base64(HMAC-SHA1(privateKey, stringToSign)) with Web Crypto. */
  async function ufileSign(privateKey: string, stringToSign: string): Promise<string> {
    const enc = new TextEncoder();
    const key = await crypto.subtle.importKey("raw", enc.encode(privateKey), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(stringToSign)));
    return btoa(String.fromCharCode(...mac));
  }

  const keyPath = (key: string) => key.split("/").map(encodeURIComponent).join("/");

  /** PUT with an Authorization header. */
  async function putWithToken(base: string, bucket: string, token: { PublicKey: string; PrivateKey: string }, key: string, file: Blob) {
    const type = file.type || "application/octet-stream";
    const sig = await ufileSign(token.PrivateKey, `PUT\n\n${type}\n\n/${bucket}/${key}`);
    const res = await fetch(`${base}/${keyPath(key)}`, {
      method: "PUT",
      headers: { "Content-Type": type, Authorization: `UCloud ${token.PublicKey}:${sig}` },
      body: file,
    });
    if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    return res.headers.get("ETag");
  }

  /** PostFile: a multipart form whose Authorization field is signed like a POST of the file's type. */
  async function postWithToken(base: string, bucket: string, token: { PublicKey: string; PrivateKey: string }, key: string, file: Blob) {
    const type = file.type || "application/octet-stream";
    const sig = await ufileSign(token.PrivateKey, `POST\n\n${type}\n\n/${bucket}/${key}`);
    const form = new FormData();
    form.append("FileName", key);
    form.append("Authorization", `UCloud ${token.PublicKey}:${sig}`);
    form.append("Content-Type", type);
    form.append("file", file);
    const res = await fetch(`${base}/`, { method: "POST", body: form });
    if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    return res.headers.get("ETag");
  }

  /** A presigned PUT URL: Expires takes the Date slot (made where the private key is kept). */
  async function presignPut(base: string, bucket: string, token: { PublicKey: string; PrivateKey: string }, key: string, type: string, ttl = 600) {
    const expires = Math.floor(Date.now() / 1000) + ttl;
    const sig = await ufileSign(token.PrivateKey, `PUT\n\n${type}\n${expires}\n/${bucket}/${key}`);
    const q = new URLSearchParams({ UCloudPublicKey: token.PublicKey, Expires: String(expires), Signature: sig });
    return `${base}/${keyPath(key)}?${q}`;
  }

  it("the three ways work inside the token's scope and are refused outside it", async () => {
    const P = newProject();
    const demo = await newBucket("private", P);
    const { body: minted } = await control({
      Action: "CreateUFileToken",
      ProjectId: P,
      TokenName: "browser",
      "AllowedOps.0": "TOKEN_ALLOW_WRITE",
      "AllowedPrefixes.0": "uploads/",
      "AllowedBuckets.0": demo,
      ExpireTime: now() + 3600,
    });
    expect(minted.RetCode).toBe(0);
    const token = minted.UFileTokenSet;
    const base = `http://${demo}.localhost`;
    const photo = new File(["\x89PNG fake"], "cat.png", { type: "image/png" });

    const etag = await putWithToken(base, demo, token, "uploads/cat 1.png", photo);
    expect(await rootView(demo, "uploads/cat 1.png")).toMatchObject({ status: 200, mime: "image/png", etag });
    const etag2 = await postWithToken(base, demo, token, "uploads/cat2.png", photo);
    expect(await rootView(demo, "uploads/cat2.png")).toMatchObject({ status: 200, mime: "image/png", etag: etag2 });
    const untyped = await postWithToken(base, demo, token, "uploads/blob.bin", new Blob(["raw"]));
    expect(await rootView(demo, "uploads/blob.bin")).toMatchObject({ status: 200, mime: "application/octet-stream", etag: untyped });
    const url = await presignPut(base, demo, token, "uploads/cat3.png", "image/png");
    const viaUrl = await fetch(url, { method: "PUT", headers: { "Content-Type": "image/png" }, body: photo });
    expect(viaUrl.status).toBe(200);
    expect((await rootView(demo, "uploads/cat3.png")).etag).toBe(viaUrl.headers.get("ETag"));

    await expect(putWithToken(base, demo, token, "private/cat.png", photo)).rejects.toThrow(/^upload failed: 403 .*-90008/);
    await expect(postWithToken(base, demo, token, "uploads2/cat.png", photo)).rejects.toThrow(/^upload failed: 403 .*-90008/);
    await expectAbsent(demo, "private/cat.png");
    await expectAbsent(demo, "uploads2/cat.png");
    // WRITE only: the browser cannot read back or list.
    await expectRefused(await fetch(`${base}/uploads/cat2.png?${new URLSearchParams({ UCloudPublicKey: token.PublicKey, Expires: String(now() + 60), Signature: await ufileSign(token.PrivateKey, `GET\n\n\n${now() + 60}\n/${demo}/uploads/cat2.png`) })}`), DENIED);
  });
});
