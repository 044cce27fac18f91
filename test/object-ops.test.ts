import { describe, expect, it } from "vitest";
import { expectError, file, newBucket, put } from "./helpers";

/** UploadHit, Copy, Rename, OpMeta, ClassSwitch, Restore: metadata operations on the index. */


const uploadHit = (b: string, hash: string, name: string, size: number | string, headers: Record<string, string> = {}) =>
  file(b, "uploadhit", {
    method: "POST",
    query: `Hash=${encodeURIComponent(hash)}&FileName=${encodeURIComponent(name)}&FileSize=${size}`,
    signedKey: name,
    headers,
  });

describe("UploadHit (秒传)", () => {
  it("creates the object from an existing blob of the same bucket: 200, empty body, no bytes sent", async () => {
    const b = await newBucket();
    const etag = await put(b, "orig.txt", "hello ufile\n", { "Content-Type": "text/x-demo" });
    const res = await uploadHit(b, etag, "copy/of orig.txt", 12);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    const got = await file(b, "copy/of orig.txt");
    expect(await got.text()).toBe("hello ufile\n");
    expect(got.headers.get("ETag")).toBe(etag);
    expect(got.headers.get("Content-Type")).toBe("text/x-demo"); // MIME from the source
  });

  it("a quoted Hash is accepted; the storage class header applies", async () => {
    const b = await newBucket();
    const etag = await put(b, "o", "abc");
    expect((await uploadHit(b, `"${etag}"`, "q", 3, { "X-Ufile-Storage-Class": "IA" })).status).toBe(200);
    expect((await file(b, "q", { method: "HEAD" })).headers.get("X-Ufile-Storage-Class")).toBe("IA");
  });

  it("a miss (hash, size, or another bucket) → 404", async () => {
    const b = await newBucket();
    const other = await newBucket();
    const etag = await put(other, "o", "abc");
    await expectError(await uploadHit(b, etag, "x", 3), 404, -148654); // dedup never crosses buckets
    await put(b, "o", "abc");
    await expectError(await uploadHit(b, etag, "x", 4), 404, -148654);
    await expectError(await uploadHit(b, "AQAAAKmZPjZHBoFquj4lcXhQwmyc0Nix", "x", 3), 404, -148654);
    await expectError(await file(b, "x"), 404, -148654);
  });

  it.each([["AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ"], ["AQAAANo5o-5ea0sNMlW_75VgGJCv2AcJ"], ["AAAAAA=="]])(
    "the empty file's ETag %s (Go/Java, Node v1, Python) hits an empty object",
    async (hash) => {
      const b = await newBucket();
      await put(b, "empty", "");
      expect((await uploadHit(b, hash, "e2", 0)).status).toBe(200);
      expect((await file(b, "e2", { method: "HEAD" })).headers.get("Content-Length")).toBe("0");
    },
  );

  it("missing parameters → 400", async () => {
    const b = await newBucket();
    await expectError(await file(b, "uploadhit", { method: "POST", query: "Hash=abc&FileName=x", signedKey: "x" }), 400, -90001);
  });
});

describe("Copy", () => {
  it("copies within and across buckets; COPY keeps source meta, REPLACE takes the request's", async () => {
    const src = await newBucket();
    const dst = await newBucket();
    const etag = await put(src, "dir/a b.txt", "payload", { "Content-Type": "text/x-src", "X-Ufile-Meta-k": "v" });
    for (const header of [`/${src}/dir/a b.txt`, `/${src}/dir/a%20b.txt`, encodeURIComponent(`/${src}/dir/a b.txt`)]) {
      const res = await file(dst, "copied", { method: "PUT", headers: { "X-Ufile-Copy-Source": header, "Content-Length": "0" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("ETag")).toBe(etag);
    }
    const got = await file(dst, "copied");
    expect(await got.text()).toBe("payload");
    expect(got.headers.get("Content-Type")).toBe("text/x-src");
    expect(got.headers.get("X-Ufile-Meta-k")).toBe("v");
    await file(dst, "replaced", {
      method: "PUT",
      headers: { "X-Ufile-Copy-Source": `/${src}/dir/a b.txt`, "X-Ufile-Metadata-Directive": "REPLACE", "X-Ufile-Meta-new": "1" },
    });
    const replaced = await file(dst, "replaced", { method: "HEAD" });
    expect(replaced.headers.get("X-Ufile-Meta-new")).toBe("1");
    expect(replaced.headers.get("X-Ufile-Meta-k")).toBeNull();
  });

  it("the copy survives deletion of the source (shared blob, reference counted)", async () => {
    const b = await newBucket();
    await put(b, "s", "shared bytes");
    await file(b, "c", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${b}/s` } });
    expect((await file(b, "s", { method: "DELETE" })).status).toBe(204);
    expect(await (await file(b, "c")).text()).toBe("shared bytes");
  });

  it("missing source bucket → 404 -30010; missing source file → 404 -148654; bad header → 400", async () => {
    const b = await newBucket();
    await expectError(await file(b, "c", { method: "PUT", headers: { "X-Ufile-Copy-Source": "/no-such-bucket-x/k" } }), 404, -30010);
    await expectError(await file(b, "c", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${b}/nope` } }), 404, -148654);
    await expectError(await file(b, "c", { method: "PUT", headers: { "X-Ufile-Copy-Source": "nobucket" } }), 400, -90001);
  });
});

describe("Rename", () => {
  it("renames; refuses an existing target unless force=true", async () => {
    const b = await newBucket();
    await put(b, "old", "one");
    await put(b, "taken", "two");
    const res = await file(b, "old", { method: "PUT", query: "newFileName=new%20name&force=false" });
    expect(res.status).toBe(200);
    await expectError(await file(b, "old"), 404, -148654);
    expect(await (await file(b, "new name")).text()).toBe("one");
    await expectError(await file(b, "new name", { method: "PUT", query: "newFileName=taken" }), 409, -90009);
    expect(await (await file(b, "taken")).text()).toBe("two");
    expect((await file(b, "new name", { method: "PUT", query: "newFileName=taken&force=true" })).status).toBe(200);
    expect(await (await file(b, "taken")).text()).toBe("one");
    await expectError(await file(b, "new name"), 404, -148654);
  });

  it("missing source → 404", async () => {
    const b = await newBucket();
    await expectError(await file(b, "ghost", { method: "PUT", query: "newFileName=x" }), 404, -148654);
  });
});

describe("OpMeta", () => {
  const op = (b: string, key: string, body: string) =>
    file(b, key, { method: "POST", query: "opmeta", body, headers: { "Content-Type": "application/json" } });

  it("sets the mimetype, a metadata-only change", async () => {
    const b = await newBucket();
    const etag = await put(b, "m", "data");
    const res = await op(b, "m", JSON.stringify({ op: "set", metak: "mimetype", metav: "image/png" }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    const head = await file(b, "m", { method: "HEAD" });
    expect(head.headers.get("Content-Type")).toBe("image/png");
    expect(head.headers.get("ETag")).toBe(etag);
  });

  it("anything but op=set / metak=mimetype → 400; missing file → 404", async () => {
    const b = await newBucket();
    await put(b, "m", "data");
    await expectError(await op(b, "m", JSON.stringify({ op: "del", metak: "mimetype", metav: "x" })), 400, -90001);
    await expectError(await op(b, "m", JSON.stringify({ op: "set", metak: "owner", metav: "x" })), 400, -90001);
    await expectError(await op(b, "m", "not json"), 400, -90001);
    await expectError(await op(b, "nope", JSON.stringify({ op: "set", metak: "mimetype", metav: "x" })), 404, -148654);
  });
});

describe("ClassSwitch and Restore", () => {
  const switchTo = (b: string, key: string, cls: string) => file(b, key, { method: "PUT", query: `storageClass=${cls}` });
  const restore = (b: string, key: string) => file(b, key, { method: "PUT", query: "restore" });

  it("ARCHIVE refuses GET until restored; HEAD shows the restore state", async () => {
    const b = await newBucket();
    await put(b, "a", "cold data", { "X-Ufile-Storage-Class": "ARCHIVE" });
    await expectError(await file(b, "a"), 403, -148671);
    const frozen = await file(b, "a", { method: "HEAD" });
    expect(frozen.status).toBe(200);
    expect(frozen.headers.get("X-Ufile-Restore")).toBeNull();
    expect((await restore(b, "a")).status).toBe(200);
    const head = await file(b, "a", { method: "HEAD" });
    expect(head.headers.get("X-Ufile-Restore")).toMatch(/^ongoing-request="false", expiry-date=".+ GMT"$/);
    expect(Date.parse(head.headers.get("X-Ufile-Restore")!.split('expiry-date="')[1].slice(0, -1))).toBeGreaterThan(Date.now());
    expect(await (await file(b, "a")).text()).toBe("cold data");
  });

  it("COLD behaves like ARCHIVE; restore of STANDARD is a no-op", async () => {
    const b = await newBucket();
    await put(b, "c", "x", { "X-Ufile-Storage-Class": "COLD" });
    await expectError(await file(b, "c"), 403, -148671);
    await put(b, "s", "x");
    expect((await restore(b, "s")).status).toBe(200);
    expect((await file(b, "s", { method: "HEAD" })).headers.get("X-Ufile-Restore")).toBeNull();
  });

  it("switches classes; leaving ARCHIVE needs a restore first", async () => {
    const b = await newBucket();
    await put(b, "k", "x");
    expect((await switchTo(b, "k", "IA")).status).toBe(200);
    expect((await file(b, "k", { method: "HEAD" })).headers.get("X-Ufile-Storage-Class")).toBe("IA");
    expect((await switchTo(b, "k", "ARCHIVE")).status).toBe(200);
    await expectError(await file(b, "k"), 403, -148671);
    await expectError(await switchTo(b, "k", "STANDARD"), 403, -148671);
    await restore(b, "k");
    expect((await switchTo(b, "k", "STANDARD")).status).toBe(200);
    expect(await (await file(b, "k")).text()).toBe("x");
    await expectError(await switchTo(b, "k", "GLACIER"), 400, -90003);
    await expectError(await switchTo(b, "missing", "IA"), 404, -148654);
  });

  it("listing shows StorageClass and RestoreStatus", async () => {
    const b = await newBucket();
    await put(b, "a1", "x", { "X-Ufile-Storage-Class": "ARCHIVE" });
    await put(b, "a2", "x", { "X-Ufile-Storage-Class": "ARCHIVE" });
    await put(b, "s", "x");
    await restore(b, "a2");
    const list = (await (await file(b, "", { query: "list", signedKey: "" })).json()) as { DataSet: any[] };
    expect(list.DataSet.map((d) => [d.FileName, d.StorageClass, d.RestoreStatus])).toEqual([
      ["a1", "ARCHIVE", "Frozen"],
      ["a2", "ARCHIVE", "Restored"],
      ["s", "STANDARD", ""],
    ]);
  });
});
