import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepBlobs } from "../src/store/sweeper";
import { database } from "../src/store/db";
import { advanceMove, startMove } from "../src/store/range-move";
import { authorization, bucketOn, call, callWithEnv, control, expectExactCounters, expectExactReferences, file, fileUrl, indexOf, newBucket, onEveryShard, put, shards } from "./helpers";

/**
 * docs/design.md §4's three invariants:
 * 1. a key becomes visible only after its bytes are complete in R2 and its row is committed;
 * 2. a failure at any step leaves the previous version readable;
 * 3. a blob leaves R2 only when no row references it; leftovers are swept by the scheduled task.
 */

/** D1 whose batches fail: the write after the R2 put never commits (fault injection, real D1 otherwise). */
/** The binding, and every session on it (requests run their queries in one), with batches failing. */
function d1WithFailingBatch<T extends D1Database | D1DatabaseSession>(real: T): T {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "batch") return async () => Promise.reject(new Error("injected: D1 batch unavailable"));
      if (prop === "withSession") return (constraint?: string) => d1WithFailingBatch((target as D1Database).withSession(constraint));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function r2BlobIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await env.BLOBS.list({ prefix: "blobs/", cursor });
    for (const o of page.objects) ids.add(o.key.slice("blobs/".length));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return ids;
}

/** Blob rows on every index shard. */
async function rowBlobIds(): Promise<Set<string>> {
  return new Set((await onEveryShard<{ id: string }>("SELECT id FROM blobs")).map((r) => r.id));
}

const blobOf = async (key: string) => (await onEveryShard<{ blob_id: string }>("SELECT blob_id FROM objects WHERE key = ?", key))[0]?.blob_id;

describe("invariant 1: visible only when complete", () => {
  it("a key being uploaded is not visible; the previous version stays served until the swap", async () => {
    const b = await newBucket();
    await put(b, "live", "old version");
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
    const text = "new version!";
    const uploading = call(fileUrl(b, "live"), {
      method: "PUT",
      body,
      headers: {
        "Content-Length": String(text.length),
        "Content-Type": "text/plain",
        Authorization: await authorization("PUT", b, "live", { contentType: "text/plain" }),
      },
      // @ts-expect-error workerd needs duplex for a streaming request body
      duplex: "half",
    });
    feed.enqueue(new TextEncoder().encode(text.slice(0, 5)));
    await new Promise((r) => setTimeout(r, 50));
    expect(await (await file(b, "live")).text()).toBe("old version");
    feed.enqueue(new TextEncoder().encode(text.slice(5)));
    feed.close();
    expect((await uploading).status).toBe(200);
    expect(await (await file(b, "live")).text()).toBe(text);
  });

  it("a new key does not exist while its body is still arriving", async () => {
    const b = await newBucket();
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
    const uploading = call(fileUrl(b, "fresh"), {
      method: "PUT",
      body,
      headers: { "Content-Length": "4", "Content-Type": "text/plain", Authorization: await authorization("PUT", b, "fresh", { contentType: "text/plain" }) },
      // @ts-expect-error workerd needs duplex for a streaming request body
      duplex: "half",
    });
    feed.enqueue(new TextEncoder().encode("ab"));
    await new Promise((r) => setTimeout(r, 50));
    expect((await file(b, "fresh")).status).toBe(404);
    feed.enqueue(new TextEncoder().encode("cd"));
    feed.close();
    expect((await uploading).status).toBe(200);
    expect(await (await file(b, "fresh")).text()).toBe("abcd");
  });
});

describe("invariant 2: a failed write leaves the previous version", () => {
  it("the D1 batch fails after the R2 put: old bytes and ETag intact, the new blob is an orphan until swept", async () => {
    const b = await newBucket();
    const oldEtag = await put(b, "doc", "version 1");
    const blobsBefore = await r2BlobIds();
    const index = await indexOf(b);
    const res = await callWithEnv({ [index.shard]: d1WithFailingBatch(index.d1) }, fileUrl(b, "doc"), {
      method: "PUT",
      body: "version 2",
      headers: { "Content-Type": "text/plain", Authorization: await authorization("PUT", b, "doc", { contentType: "text/plain" }) },
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).RetCode).toBe(-90012);
    const got = await file(b, "doc");
    expect(await got.text()).toBe("version 1");
    expect(got.headers.get("ETag")).toBe(oldEtag);

    const orphans = [...(await r2BlobIds())].filter((id) => !blobsBefore.has(id));
    expect(orphans).toHaveLength(1);
    expect((await rowBlobIds()).has(orphans[0])).toBe(false);

    // Too young to be swept (it could be a write still in flight) …
    await sweepBlobs(env, Math.floor(Date.now() / 1000));
    expect((await r2BlobIds()).has(orphans[0])).toBe(true);
    // … swept once past the grace period; the live blob stays.
    const result = await sweepBlobs(env, Math.floor(Date.now() / 1000) + 2 * 3600);
    expect(result.orphans).toBeGreaterThanOrEqual(1);
    expect((await r2BlobIds()).has(orphans[0])).toBe(false);
    expect((await r2BlobIds()).has((await blobOf("doc"))!)).toBe(true);
    expect(await (await file(b, "doc")).text()).toBe("version 1");
  });

  it("a failed delete leaves the object readable", async () => {
    const b = await newBucket();
    await put(b, "keep", "still here");
    const index = await indexOf(b);
    const res = await callWithEnv({ [index.shard]: d1WithFailingBatch(index.d1) }, fileUrl(b, "keep"), {
      method: "DELETE",
      headers: { Authorization: await authorization("DELETE", b, "keep") },
    });
    expect(res.status).toBe(500);
    expect(await (await file(b, "keep")).text()).toBe("still here");
  });
});

describe("invariant 3: blobs leave R2 only when unreferenced", () => {
  it("an overwritten blob is released; a blob shared by a copy survives until the last reference goes", async () => {
    const b = await newBucket();
    const overwritten = async (key: string, body: string) => {
      const res = await callWithEnv({}, fileUrl(b, key), {
        method: "PUT",
        body,
        headers: { "Content-Type": "text/plain", Authorization: await authorization("PUT", b, key, { contentType: "text/plain" }) },
      });
      expect(res.status).toBe(200);
    };
    await overwritten("x", "first");
    const first = (await blobOf("x"))!;
    await overwritten("x", "second"); // waits for the release work of the request
    expect((await r2BlobIds()).has(first)).toBe(false);
    expect((await rowBlobIds()).has(first)).toBe(false);

    const shared = (await blobOf("x"))!;
    const copy = await callWithEnv({}, fileUrl(b, "y"), {
      method: "PUT",
      headers: { "X-Ufile-Copy-Source": `/${b}/x`, Authorization: await authorization("PUT", b, "y") },
    });
    expect(copy.status).toBe(200);
    expect(await blobOf("y")).toBe(shared);
    const del = async (key: string) => {
      const res = await callWithEnv({}, fileUrl(b, key), { method: "DELETE", headers: { Authorization: await authorization("DELETE", b, key) } });
      expect(res.status).toBe(204);
    };
    await del("x");
    expect((await r2BlobIds()).has(shared)).toBe(true);
    expect(await (await file(b, "y")).text()).toBe("second");
    await del("y");
    expect((await r2BlobIds()).has(shared)).toBe(false);
    expect((await rowBlobIds()).has(shared)).toBe(false);
  });

  it("the sweeper keeps an unreferenced blob that an open multipart upload will become", async () => {
    const blobId = crypto.randomUUID();
    await env.BLOBS.put(`blobs/${blobId}`, "completed in R2, Finish not yet published");
    await env.DB.prepare(
      "INSERT INTO uploads (id, bucket_id, key, blob_id, r2_upload_id, blk_size, mime, storage_class, user_meta, created_at, touched_at) VALUES (?, 'oss-x', 'k', ?, 'r2', 8388608, '', 'STANDARD', '{}', 0, 0)",
    )
      .bind(crypto.randomUUID(), blobId)
      .run();
    const later = Math.floor(Date.now() / 1000) + 2 * 3600;
    await sweepBlobs(env, later);
    expect((await r2BlobIds()).has(blobId)).toBe(true);
    await env.DB.prepare("DELETE FROM uploads WHERE blob_id = ?").bind(blobId).run();
    // The sweep resumes from its cursor; run until it wraps around.
    for (let i = 0; i < 3 && (await r2BlobIds()).has(blobId); i++) await sweepBlobs(env, later);
    expect((await r2BlobIds()).has(blobId)).toBe(false);
  });

  it("the sweeper releases blobs left at refcount 0 when the release after a response never ran", async () => {
    const b = await newBucket();
    await put(b, "z", "zzz");
    const id = (await blobOf("z"))!;
    // Simulate a crash between the swap and the release: the row is gone, the blob row at 0.
    const { d1 } = await indexOf(b);
    await d1.batch([
      d1.prepare("DELETE FROM objects WHERE blob_id = ?").bind(id),
      d1.prepare("UPDATE blobs SET refcount = 0 WHERE id = ?").bind(id),
    ]);
    expect((await r2BlobIds()).has(id)).toBe(true);
    const result = await sweepBlobs(env, Math.floor(Date.now() / 1000));
    expect(result.released).toBeGreaterThanOrEqual(1);
    expect((await r2BlobIds()).has(id)).toBe(false);
    expect((await rowBlobIds()).has(id)).toBe(false);
  });

  it("refcounts, stored_bytes and object_count stay exact through put, overwrite, copy, rename, delete and open uploads", async () => {
    const b = await newBucket();
    await put(b, "a", "12345");
    await put(b, "a", "123");
    await file(b, "c", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${b}/a` } });
    await put(b, "d", "1234567");
    await file(b, "d", { method: "PUT", query: "newFileName=c&force=true" });
    await put(b, "e", "12");
    await file(b, "e", { method: "DELETE" });
    // An open upload's parts are stored bytes too (store/uploads.ts), though not objects.
    const { UploadId: uploadId } = (await (await file(b, "m", { method: "POST", query: "uploads" })).json()) as { UploadId: string };
    expect((await file(b, "m", { method: "PUT", query: `uploadId=${uploadId}&partNumber=0`, body: "wxyz" })).status).toBe(200);
    // The counters live on the bucket's shard, in its anchor row (its own row on DB).
    const { d1, id } = await indexOf(b);
    const bucket = await d1.prepare("SELECT id, stored_bytes, object_count FROM buckets WHERE id = ?")
      .bind(id)
      .first<{ id: string; stored_bytes: number; object_count: number }>();
    const sums = await d1.prepare("SELECT COALESCE(SUM(size), 0) AS total, COUNT(*) AS n FROM objects WHERE bucket_id = ?")
      .bind(bucket!.id)
      .first<{ total: number; n: number }>();
    const parts = await d1.prepare("SELECT COALESCE(SUM(p.size), 0) AS total FROM upload_parts p JOIN uploads u ON u.id = p.upload_id WHERE u.bucket_id = ?")
      .bind(bucket!.id)
      .first<{ total: number }>();
    expect(bucket!.stored_bytes).toBe(sums!.total + parts!.total);
    expect(bucket!.stored_bytes).toBe(3 + 7 + 4);
    // a (overwritten once) and c (the renamed d, which replaced the copy): two rows.
    expect(bucket!.object_count).toBe(sums!.n);
    expect(bucket!.object_count).toBe(2);
    const { results } = await d1.prepare(
      "SELECT b.refcount AS refcount, (SELECT COUNT(*) FROM objects o WHERE o.blob_id = b.id) AS actual FROM blobs b WHERE b.bucket_id = ? AND b.refcount > 0",
    )
      .bind(bucket!.id)
      .all<{ refcount: number; actual: number }>();
    expect(results.length).toBe(2);
    for (const r of results) expect(r.refcount).toBe(r.actual);
  });

  it("…and over key ranges: every shard's anchor equals its rows, references are exact across shards, the sweeper keeps every referenced blob", async () => {
    const [[first], [second]] = shards();
    const b = await bucketOn(first);
    const { id } = await indexOf(b);
    // [c, …) of the bucket lives on the second shard; its uploads stay on the first (the home shard).
    await startMove(database(env.DB), id, "c", second);
    for (let clock = Math.floor(Date.now() / 1000); ; ) {
      const range = await advanceMove(env, id, "c", clock);
      if (range.moveTo === null && range.drainShard === null) break;
      clock = Math.max(clock, range.drainAfter ?? 0);
    }
    await put(b, "a", "12345");
    await put(b, "a", "123");
    await file(b, "c", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${b}/a` } }); // across ranges
    await put(b, "d", "1234567");
    await file(b, "d", { method: "PUT", query: "newFileName=c&force=true" });
    await file(b, "c", { method: "PUT", query: "newFileName=b" }); // back across
    await put(b, "e", "12");
    await file(b, "e", { method: "DELETE" });
    const { UploadId: uploadId } = (await (await file(b, "m", { method: "POST", query: "uploads" })).json()) as { UploadId: string };
    expect((await file(b, "m", { method: "PUT", query: `uploadId=${uploadId}&partNumber=0`, body: "wxyz" })).status).toBe(200);

    for (const [name, d1] of shards()) {
      const anchor = await d1.prepare("SELECT stored_bytes, object_count FROM buckets WHERE id = ?").bind(id).first<{ stored_bytes: number; object_count: number }>();
      const rows = (await d1.prepare("SELECT COALESCE(SUM(size), 0) AS total, COUNT(*) AS n FROM objects WHERE bucket_id = ?").bind(id).first<{ total: number; n: number }>())!;
      const parts = (await d1
        .prepare("SELECT COALESCE(SUM(p.size), 0) AS total FROM upload_parts p JOIN uploads u ON u.id = p.upload_id WHERE u.bucket_id = ?")
        .bind(id)
        .first<{ total: number }>())!;
      if (!anchor) {
        expect(rows.n).toBe(0);
        continue;
      }
      expect({ shard: name, bytes: anchor.stored_bytes, objects: anchor.object_count }).toEqual({ shard: name, bytes: rows.total + parts.total, objects: rows.n });
    }
    // a (3 bytes) here; b (the renamed d, 7 bytes) back here; nothing left at c or d; the part on the home shard.
    expect(await (await file(b, "a")).text()).toBe("123");
    expect(await (await file(b, "b")).text()).toBe("1234567");
    const { body } = await control({ Action: "DescribeBucket", BucketName: b });
    expect([body.DataSet[0].StoredBytes, body.DataSet[0].ObjectCount]).toEqual([3 + 7 + 4, 2]);

    await sweepBlobs(env, Math.floor(Date.now() / 1000) + 7200, 0);
    await expectExactReferences();
  });

  it("bytes per storage class stay exact through class-changing writes, copies (across shards too), renames, deletes and uploads", async () => {
    // The bucket on a shard other than DB (its counters in its anchor there), the copy source on DB.
    const [[first], [second]] = shards();
    const [b, other] = [await bucketOn(second), await bucketOn(first)];
    const cls = (c: string) => ({ "X-Ufile-Storage-Class": c });
    await put(b, "s", "12345");
    await put(b, "i", "abc", cls("IA"));
    await put(b, "i", "abcdef", cls("ARCHIVE")); // an overwrite that changes the class
    await put(b, "j", "1234", cls("IA"));
    expect(await expectExactCounters(b)).toEqual({ stored_bytes: 15, object_count: 3, ia_bytes: 4, archive_bytes: 6 });
    // ClassSwitch, both ways.
    expect((await file(b, "s", { method: "PUT", query: "storageClass=IA" })).status).toBe(200);
    expect((await file(b, "j", { method: "PUT", query: "storageClass=STANDARD" })).status).toBe(200);
    expect(await expectExactCounters(b)).toEqual({ stored_bytes: 15, object_count: 3, ia_bytes: 5, archive_bytes: 6 });
    // A copy in another class, a copy from another shard, an UploadHit into IA.
    expect((await file(b, "c", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${b}/i`, ...cls("COLD") } })).status).toBe(200);
    await put(other, "x", "xxxxxxx");
    expect((await file(b, "cx", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${other}/x`, ...cls("IA") } })).status).toBe(200);
    const etag = (await file(b, "j", { method: "HEAD" })).headers.get("ETag")!;
    expect((await file(b, "uploadhit", { method: "POST", query: `Hash=${encodeURIComponent(etag)}&FileName=h&FileSize=4`, signedKey: "h", headers: cls("IA") })).status).toBe(200);
    expect(await expectExactCounters(b)).toEqual({ stored_bytes: 32, object_count: 6, ia_bytes: 16, archive_bytes: 12 });
    // A rename over an existing key (the IA "s" replaced by the STANDARD "j"), a delete.
    expect((await file(b, "j", { method: "PUT", query: "newFileName=s&force=true" })).status).toBe(200);
    expect((await file(b, "c", { method: "DELETE" })).status).toBe(204);
    expect(await expectExactCounters(b)).toEqual({ stored_bytes: 21, object_count: 4, ia_bytes: 11, archive_bytes: 6 });
    // An open IA upload's part counts as IA; a finished ARCHIVE upload moves its bytes from its parts to its object.
    const initiate = async (key: string, c: string) =>
      ((await (await file(b, key, { method: "POST", query: "uploads", headers: cls(c) })).json()) as { UploadId: string }).UploadId;
    const open = await initiate("m", "IA");
    expect((await file(b, "m", { method: "PUT", query: `uploadId=${open}&partNumber=0`, body: "wxyz" })).status).toBe(200);
    const done = await initiate("n", "ARCHIVE");
    const part = await file(b, "n", { method: "PUT", query: `uploadId=${done}&partNumber=0`, body: "123" });
    expect(await expectExactCounters(b)).toEqual({ stored_bytes: 28, object_count: 4, ia_bytes: 15, archive_bytes: 9 });
    expect((await file(b, "n", { method: "POST", query: `uploadId=${done}`, body: part.headers.get("ETag")! })).status).toBe(200);
    expect(await expectExactCounters(b)).toEqual({ stored_bytes: 28, object_count: 5, ia_bytes: 15, archive_bytes: 9 });
    expect((await file(b, "m", { method: "DELETE", query: `uploadId=${open}` })).status).toBe(200);
    expect(await expectExactCounters(b)).toEqual({ stored_bytes: 24, object_count: 5, ia_bytes: 11, archive_bytes: 9 });
    await expectExactCounters(other);
  });
});
