import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { forgetPlacement } from "../src/store/shards";
import { sweepBlobs } from "../src/store/sweeper";
import { API, bucketOn, callWithEnv, control, expectExactReferences, file, indexOf, newBucket, put, shards, signControl, toQuery, uniqueName } from "./helpers";

/**
 * Index shards (src/store/shards.ts): every bucket's index lives on one shard, and the tests run
 * with at least two (wrangler.toml binds DB and INDEX_1), so these cross the seam on purpose:
 * placement, cross-shard Copy, UploadHit of a copied blob, Rename and listing on each shard, the
 * reference counts that keep shared bytes alive, and the sweeper asking every shard.
 */

/** A bucket on each of two different shards: DB and the first INDEX_* shard. */
async function bucketsOnTwoShards(): Promise<{ a: string; b: string }> {
  const [[first], [second]] = shards();
  return { a: await bucketOn(first), b: await bucketOn(second) };
}

async function r2Has(blobId: string): Promise<boolean> {
  return (await env.BLOBS.head(`blobs/${blobId}`)) !== null;
}

async function blobOf(bucket: string, key: string): Promise<string> {
  const { d1, id } = await indexOf(bucket);
  return (await d1.prepare("SELECT blob_id FROM objects WHERE bucket_id = ? AND key = ?").bind(id, key).first<{ blob_id: string }>())!.blob_id;
}

/** The blob's row on every shard that has one: refcount and home. */
async function blobRows(blobId: string): Promise<Record<string, { refcount: number; home: string | null }>> {
  const out: Record<string, { refcount: number; home: string | null }> = {};
  for (const [name, d1] of shards()) {
    const row = await d1.prepare("SELECT refcount, home_shard AS home FROM blobs WHERE id = ?").bind(blobId).first<{ refcount: number; home: string | null }>();
    if (row) out[name] = row;
  }
  return out;
}


const copy = (dst: string, key: string, src: string, srcKey: string) =>
  file(dst, key, { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${src}/${srcKey}`, "Content-Length": "0" } });

describe("placement", () => {
  it("the default configuration has at least two shards; a new bucket goes to the one holding the fewest objects", async () => {
    expect(shards().length).toBeGreaterThanOrEqual(2);
    const { a, b } = await bucketsOnTwoShards();
    expect((await indexOf(a)).shard).not.toBe((await indexOf(b)).shard);
    // Fill the first shard more than any other: the next buckets go elsewhere.
    for (let i = 0; i < 50; i++) await put(a, `fill-${i}`, "x");
    const objectsOn = async (d1: D1Database) => (await d1.prepare("SELECT COUNT(*) AS n FROM objects").first<{ n: number }>())!.n;
    const fullest = (await Promise.all(shards().map(async ([name, d1]) => [name, await objectsOn(d1)] as const))).sort((x, y) => y[1] - x[1])[0][0];
    for (let i = 0; i < 3; i++) expect((await indexOf(await newBucket())).shard).not.toBe(fullest);
  });

  it("a bucket on a shard other than DB has an anchor there with its counters; DescribeBucket reports them", async () => {
    const { a, b } = await bucketsOnTwoShards();
    const onIndex = (await indexOf(a)).shard === "DB" ? b : a;
    await put(onIndex, "one", "12345");
    await put(onIndex, "two", "123");
    const { d1, id } = await indexOf(onIndex);
    expect(await d1.prepare("SELECT name, stored_bytes, object_count FROM buckets WHERE id = ?").bind(id).first()).toEqual({
      name: id,
      stored_bytes: 8,
      object_count: 2,
    });
    const { body: described } = await control({ Action: "DescribeBucket", BucketName: onIndex });
    expect(described.DataSet[0]).toMatchObject({ BucketName: onIndex, StoredBytes: 8, ObjectCount: 2 });
  });

  it("DeleteBucket removes the anchor and the bucket, and refuses while objects remain", async () => {
    const { a, b } = await bucketsOnTwoShards();
    const onIndex = (await indexOf(a)).shard === "DB" ? b : a;
    const { d1, id } = await indexOf(onIndex);
    await put(onIndex, "k", "x");
    expect((await control({ Action: "DeleteBucket", BucketName: onIndex })).body.RetCode).not.toBe(0);
    expect((await file(onIndex, "k", { method: "DELETE" })).status).toBe(204);
    expect((await control({ Action: "DeleteBucket", BucketName: onIndex })).body.RetCode).toBe(0);
    expect(await d1.prepare("SELECT 1 FROM buckets WHERE id = ?").bind(id).first()).toBeNull();
    expect(await env.DB.prepare("SELECT 1 FROM buckets WHERE id = ?").bind(id).first()).toBeNull();
  });

  it("DeleteBucket of a bucket on a shard other than DB aborts its open uploads there, from an isolate that never read where the bucket lives", async () => {
    const [, [second]] = shards();
    const bucket = await bucketOn(second);
    const { d1, id } = await indexOf(bucket);
    const started = await file(bucket, "k", { method: "POST", query: "uploads" });
    const { UploadId } = (await started.json()) as { UploadId: string };
    expect((await file(bucket, "k", { method: "PUT", query: `uploadId=${UploadId}&partNumber=0`, body: new TextEncoder().encode("part") })).status).toBe(200);
    const upload = (await d1.prepare("SELECT blob_id, r2_upload_id FROM uploads WHERE id = ?").bind(UploadId).first<{ blob_id: string; r2_upload_id: string }>())!;
    // The control plane's lookup does not note the placement; after the deletion no row says where the bucket lived.
    forgetPlacement(id);
    const res = await callWithEnv({}, `${API}/?${toQuery(await signControl({ Action: "DeleteBucket", BucketName: bucket }))}`);
    expect(((await res.json()) as { RetCode: number }).RetCode).toBe(0);
    for (const [name, shard] of shards()) {
      expect([name, await shard.prepare("SELECT COUNT(*) AS n FROM uploads WHERE bucket_id = ?").bind(id).first("n")]).toEqual([name, 0]);
      expect([name, await shard.prepare("SELECT COUNT(*) AS n FROM upload_parts WHERE upload_id = ?").bind(UploadId).first("n")]).toEqual([name, 0]);
    }
    const r2Upload = env.BLOBS.resumeMultipartUpload(`blobs/${upload.blob_id}`, upload.r2_upload_id);
    await expect(r2Upload.uploadPart(2, new Uint8Array(1))).rejects.toThrow();
  });

  it("Region chooses the shard among those created there (SHARD_REGIONS); other regions use the unlisted shards", async () => {
    const [[first], [second]] = shards();
    const regions = { SHARD_REGIONS: `${second}=us-ca` };
    const create = async (Region: string) => {
      const BucketName = uniqueName("reg");
      const res = await callWithEnv(regions, `${API}/?${toQuery(await signControl({ Action: "CreateBucket", BucketName, Region }))}`);
      expect(((await res.json()) as { RetCode: number }).RetCode).toBe(0);
      return (await indexOf(BucketName)).shard;
    };
    for (let i = 0; i < 3; i++) expect(await create("us-ca")).toBe(second);
    // cn-bj has no shard of its own: it goes to the shards no region claims.
    for (let i = 0; i < 3; i++) expect(await create("cn-bj")).toBe(first);
  });
});

describe("nothing is lost across shards", () => {
  it("Copy between shards: the copy outlives its source, the bytes go with the last reference", async () => {
    const { a, b } = await bucketsOnTwoShards();
    await put(a, "src.txt", "shared bytes");
    const blob = await blobOf(a, "src.txt");
    expect((await copy(b, "dst.txt", a, "src.txt")).status).toBe(200);
    expect(await blobOf(b, "dst.txt")).toBe(blob);
    const [homeShard, proxyShard] = [(await indexOf(a)).shard, (await indexOf(b)).shard];
    expect(await blobRows(blob)).toEqual({ [homeShard]: { refcount: 2, home: null }, [proxyShard]: { refcount: 1, home: homeShard } });
    await expectExactReferences();

    expect((await file(a, "src.txt", { method: "DELETE" })).status).toBe(204);
    expect(await r2Has(blob)).toBe(true);
    expect(await (await file(b, "dst.txt")).text()).toBe("shared bytes");
    await expectExactReferences();

    expect((await file(b, "dst.txt", { method: "DELETE" })).status).toBe(204);
    expect(await r2Has(blob)).toBe(false);
    expect(await blobRows(blob)).toEqual({});
  });

  it("a second copy into the same shard shares its proxy; copying back home adds no proxy", async () => {
    const { a, b } = await bucketsOnTwoShards();
    await put(a, "s", "abc");
    const blob = await blobOf(a, "s");
    expect((await copy(b, "c1", a, "s")).status).toBe(200);
    expect((await copy(b, "c2", a, "s")).status).toBe(200);
    expect((await copy(a, "back", b, "c1")).status).toBe(200);
    const [home, other] = [(await indexOf(a)).shard, (await indexOf(b)).shard];
    // Home: s, back and the one proxy; the proxy: c1 and c2.
    expect(await blobRows(blob)).toEqual({ [home]: { refcount: 3, home: null }, [other]: { refcount: 2, home } });
    await expectExactReferences();
    for (const [bucket, key] of [[a, "s"], [b, "c1"], [a, "back"]] as const) {
      expect((await file(bucket, key, { method: "DELETE" })).status).toBe(204);
      expect(await r2Has(blob)).toBe(true);
    }
    expect(await (await file(b, "c2")).text()).toBe("abc");
    expect((await file(b, "c2", { method: "DELETE" })).status).toBe(204);
    expect(await r2Has(blob)).toBe(false);
  });

  it("UploadHit (秒传) and Rename of a copied blob on the other shard keep its bytes", async () => {
    const { a, b } = await bucketsOnTwoShards();
    const etag = await put(a, "orig", "hit me");
    expect((await copy(b, "copied", a, "orig")).status).toBe(200);
    const blob = await blobOf(a, "orig");
    const hit = await file(b, "uploadhit", { method: "POST", query: `Hash=${encodeURIComponent(etag)}&FileName=hit&FileSize=6`, signedKey: "hit" });
    expect(hit.status).toBe(200);
    expect((await file(b, "copied", { method: "PUT", query: "newFileName=renamed" })).status).toBe(200);
    expect((await file(a, "orig", { method: "DELETE" })).status).toBe(204);
    await expectExactReferences();
    expect(await (await file(b, "hit")).text()).toBe("hit me");
    expect(await (await file(b, "renamed")).text()).toBe("hit me");
    const list = await file(b, "", { query: "list&prefix=&limit=10", signedKey: "" });
    expect(((await list.json()) as { DataSet: { FileName: string }[] }).DataSet.map((f) => f.FileName)).toEqual(["hit", "renamed"]);
    expect((await file(b, "hit", { method: "DELETE" })).status).toBe(204);
    expect(await r2Has(blob)).toBe(true);
    expect((await file(b, "renamed", { method: "DELETE" })).status).toBe(204);
    expect(await r2Has(blob)).toBe(false);
  });

  it("concurrent cross-shard copies and deletes leave exact references and no lost bytes", async () => {
    const { a, b } = await bucketsOnTwoShards();
    for (let i = 0; i < 4; i++) await put(a, `s${i}`, `source ${i}`);
    const ops: Promise<Response>[] = [];
    for (let i = 0; i < 4; i++) {
      ops.push(copy(b, `c${i}`, a, `s${i}`), copy(b, `d${i}`, a, `s${i}`), copy(a, `back${i}`, a, `s${i}`));
      if (i % 2 === 0) ops.push(file(a, `s${i}`, { method: "DELETE" }));
    }
    const statuses = (await Promise.all(ops)).map((r) => r.status);
    for (const s of statuses) expect([200, 204, 404]).toContain(s);
    await expectExactReferences();
    // Every object that exists is readable with its bytes.
    for (let i = 0; i < 4; i++) {
      for (const [bucket, key] of [[a, `s${i}`], [b, `c${i}`], [b, `d${i}`], [a, `back${i}`]] as const) {
        const got = await file(bucket, key);
        if (got.status === 200) expect(await got.text()).toBe(`source ${i}`);
        else expect(got.status).toBe(404);
      }
    }
  });

  it("the sweeper settles a proxy left at 0 by a crash and then releases the home's bytes", async () => {
    const { a, b } = await bucketsOnTwoShards();
    await put(a, "s", "orphaned by a crash");
    expect((await copy(b, "c", a, "s")).status).toBe(200);
    const blob = await blobOf(a, "s");
    expect((await file(a, "s", { method: "DELETE" })).status).toBe(204);
    // A crash after the proxy's last row went, before its release ran: the row gone, the proxy at 0.
    const target = await indexOf(b);
    await target.d1.batch([
      target.d1.prepare("DELETE FROM objects WHERE blob_id = ?").bind(blob),
      target.d1.prepare("UPDATE blobs SET refcount = 0 WHERE id = ?").bind(blob),
    ]);
    expect(await r2Has(blob)).toBe(true);
    await sweepBlobs(env, Math.floor(Date.now() / 1000));
    expect(await blobRows(blob)).toEqual({});
    expect(await r2Has(blob)).toBe(false);
  });
});
