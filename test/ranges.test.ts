import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../src/store/db";
import { advanceMove, cancelMove, copyBatch, countArrival, describeRanges, fence, markSwitch, MoveRefused, startMove, switchMove } from "../src/store/range-move";
import { noteRanges } from "../src/store/ranges";
import { forgetPlacement } from "../src/store/shards";
import { canonicalHeaders, canonicalRequest, hmac, presignUrl, sha256Hex, signingKey, stringToSign } from "../src/s3/sigv4";
import { sweepBlobs } from "../src/store/sweeper";
import { bucketOn, callWithEnv, control, expectExactReferences, file, indexOf, PRIVATE_KEY, PUBLIC_KEY, put, rowsEverywhere, shards } from "./helpers";

/**
 * Key ranges (src/store/ranges.ts, src/store/range-move.ts): one bucket's key space split over
 * several shards. Listings walk the ranges with no gap and no duplicate (compared with the same
 * listing before the split); writes during a move are either acknowledged and kept exactly once,
 * or refused with the retryable -90022; counters and blob references stay exact; cross-range
 * Copy, Rename, UploadHit and multipart Finish keep the bytes.
 */

const now = () => Math.floor(Date.now() / 1000);
const [[FIRST], [SECOND]] = shards();

async function bucketId(bucket: string): Promise<string> {
  return (await indexOf(bucket)).id;
}

/** Moves `[at, …)` of the bucket to `to`, through copy, switch and drain (the drain's delay skipped by the clock). */
async function move(bucket: string, at: string, to: string, batchesPerCall = 3): Promise<void> {
  const id = await bucketId(bucket);
  await startMove(database(env.DB), id, at, to);
  let clock = now();
  for (let call = 0; call < 500; call++) {
    const range = await advanceMove(env, id, at, clock, batchesPerCall);
    if (range.moveTo === null && range.drainShard === null) return;
    clock = Math.max(clock, range.drainAfter ?? 0); // the drain's delay, skipped
  }
  throw new Error("the move did not finish");
}

/** The bucket's totals as DescribeBucket answers them, and a recount of its rows on every shard. */
async function totalsAndRecount(bucket: string) {
  const id = await bucketId(bucket);
  const recount = { bytes: 0, objects: 0 };
  for (const [, d1] of shards()) {
    const r = (await d1.prepare("SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS objects FROM objects WHERE bucket_id = ?").bind(id).first<{ bytes: number; objects: number }>())!;
    recount.bytes += r.bytes;
    recount.objects += r.objects;
  }
  const { body } = await control({ Action: "DescribeBucket", BucketName: bucket });
  return { described: { bytes: body.DataSet[0].StoredBytes, objects: body.DataSet[0].ObjectCount }, recount };
}

/** Nothing miscounted, nothing leaked: the bucket's totals equal a recount, and every blob's references are exact. */
async function expectConsistent(bucket: string) {
  const totals = await totalsAndRecount(bucket);
  expect(totals.described).toEqual(totals.recount);
  await expectExactReferences();
}

/** The bucket's anchor row on `shard` (its counters), or null. */
const anchorOn = (shard: string, id: string) =>
  shards()
    .find(([n]) => n === shard)![1]
    .prepare("SELECT stored_bytes AS bytes, object_count AS objects FROM buckets WHERE id = ?")
    .bind(id)
    .first<{ bytes: number; objects: number }>();

/**
 * The bucket's totals as DescribeBucket answers them, and a recount of what it holds: on each of its
 * ranges, the rows of that range on the shard the range table names (a copy on another shard, being
 * made or waiting for its drain, is not the bucket's).
 */
async function totalsAndKeys(bucket: string) {
  const id = await bucketId(bucket);
  const recount = { bytes: 0, objects: 0 };
  for (const r of await describeRanges(database(env.DB), id)) {
    const d1 = shards().find(([n]) => n === r.shard)![1];
    const row = (await d1
      .prepare(`SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS objects FROM objects WHERE bucket_id = ? AND key >= ? ${r.end === null ? "" : "AND key < ?"}`)
      .bind(id, r.start, ...(r.end === null ? [] : [r.end]))
      .first<{ bytes: number; objects: number }>())!;
    recount.bytes += row.bytes;
    recount.objects += row.objects;
  }
  const { body } = await control({ Action: "DescribeBucket", BucketName: bucket });
  return { described: { bytes: body.DataSet[0].StoredBytes, objects: body.DataSet[0].ObjectCount }, recount };
}

/** A new bucket on the first shard holding `n` keys `<prefix><i, padded to width>`, each `<value> <key>` (written 20 at a time). */
async function seeded(prefix: string, n: number, width: number, value: string) {
  const bucket = await bucketOn(FIRST);
  const keys = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(width, "0")}`);
  for (let i = 0; i < n; i += 20) await Promise.all(keys.slice(i, i + 20).map((k) => put(bucket, k, `${value} ${k}`)));
  return { bucket, id: await bucketId(bucket), keys };
}

const list = async (bucket: string, query: string): Promise<any> => {
  const res = await file(bucket, "", { query, signedKey: "" });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
};

/** Every page of a UFile listing, following NextMarker. */
async function pages(bucket: string, query: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let marker = "";
  for (let n = 0; n < 200; n++) {
    const body = await list(bucket, `${query}&marker=${encodeURIComponent(marker)}`);
    const { BucketName: _name, BucketId: _id, ...rest } = body;
    out.push(rest);
    if (!body.NextMarker) return out;
    marker = body.NextMarker;
  }
  throw new Error("listing did not end");
}

const LISTINGS = [
  ...["", "a/", "a/b/", "b", "c/"].flatMap((prefix) => [1, 2, 3, 7, 1000].map((limit) => `list&prefix=${encodeURIComponent(prefix)}&limit=${limit}`)),
  ...["", "a/", "a/b/"].flatMap((prefix) =>
    ["", "/"].flatMap((delimiter) =>
      [1, 2, 5, 1000].map((max) => `listobjects&prefix=${encodeURIComponent(prefix)}&delimiter=${encodeURIComponent(delimiter)}&max-keys=${max}`),
    ),
  ),
];

const KEYS = [
  ...["a/1", "a/2", "a/b/1", "a/b/2", "a/b/3", "a/b/4", "a/b/5", "a/b/c/1", "a/b/c/2", "a/c/1", "a/c/2", "a/d"],
  ...["b", "b/1", "b/2/x", "b/2/y", "c/1", "c/2/1", "c/2/2", "c/3", "d", "é/1", "😀"],
];

describe("listings over key ranges", () => {
  it("every UFile listing, page by page, is the same before and after the bucket is split over two shards", async () => {
    const bucket = await bucketOn(FIRST);
    for (const key of KEYS) await put(bucket, key, `body of ${key}`);
    const before = await Promise.all(LISTINGS.map((q) => pages(bucket, q)));

    // Three ranges: ["", a/b/3) here, [a/b/3, b/2) on the other shard, [b/2, …) back here; the
    // boundaries fall inside common prefixes (a/b/, b/2/ with the "/" delimiter).
    await move(bucket, "a/b/3", SECOND, 1);
    await move(bucket, "b/2", FIRST, 1);
    const ranges = await describeRanges(database(env.DB), await bucketId(bucket));
    expect(ranges.map((r) => [r.start, r.shard])).toEqual([
      ["", FIRST],
      ["a/b/3", SECOND],
      ["b/2", FIRST],
    ]);
    // Each key is on exactly one shard, the one its range names.
    const rows = await rowsEverywhere(bucket);
    expect(rows.map(([, key]) => key).sort()).toEqual([...KEYS].sort());
    for (const [shard, key] of rows) expect([key, shard]).toEqual([key, key >= "a/b/3" && key < "b/2" ? SECOND : FIRST]);

    const after = await Promise.all(LISTINGS.map((q) => pages(bucket, q)));
    LISTINGS.forEach((q, i) => expect({ q, pages: after[i] }).toEqual({ q, pages: before[i] }));
    // Reads of every key go to its range.
    for (const key of KEYS) expect(await (await file(bucket, key)).text()).toBe(`body of ${key}`);
  });
});

describe("a move under concurrent writes", () => {
  it("every acknowledged write is there exactly once, every refused one got -90022, counters equal a recount", async () => {
    const { bucket, id, keys } = await seeded("k/", 60, 3, "v0");
    // What each key holds after its last acknowledged write (null: deleted).
    const expected = new Map<string, string | null>(keys.map((k) => [k, `v0 ${k}`]));
    let refused = 0;
    let acknowledged = 0;

    await startMove(database(env.DB), id, "k/020", SECOND);
    await advanceMove(env, id, "k/020", now(), 0); // fenced, nothing copied yet
    let moving = true;
    const move = async () => {
      let clock = now();
      while (moving) {
        const range = await advanceMove(env, id, "k/020", clock, 1);
        if (range.moveTo === null && range.drainShard === null) moving = false;
        clock = Math.max(clock, range.drainAfter ?? 0);
      }
    };
    // Writers: each key's writes in order (so its final state is known), keys in parallel.
    const writer = async (key: string, round: number) => {
      const del = round % 3 === 2;
      const res = del ? await file(bucket, key, { method: "DELETE" }) : await file(bucket, key, { method: "PUT", body: `v${round} ${key}`, headers: { "Content-Type": "text/plain" } });
      if (res.status === 200 || res.status === 204) {
        acknowledged++;
        expected.set(key, del ? null : `v${round} ${key}`);
      } else {
        const body = (await res.json()) as { RetCode: number };
        expect([res.status, body.RetCode]).toEqual([503, -90022]);
        refused++;
      }
    };
    // Round 1 meets the fence before the mover has copied anything: the moving range refuses.
    await Promise.all(keys.map((k) => writer(k, 1)));
    expect(refused).toBe(40);
    expect(acknowledged).toBe(20);
    const mover = move();
    for (let round = 2; round <= 6 && (moving || round <= 3); round++) await Promise.all(keys.map((k) => writer(k, round)));
    await mover;
    // Writes after the move succeed everywhere.
    for (const key of keys.slice(15, 30)) await writer(key, 7);

    const rows = await rowsEverywhere(bucket);
    const keysListed = rows.map(([, k]) => k);
    expect(new Set(keysListed).size).toBe(keysListed.length);
    const present = [...expected].filter(([, v]) => v !== null).map(([k]) => k);
    expect(keysListed.sort()).toEqual(present.sort());
    for (const [key, value] of expected) {
      const res = await file(bucket, key);
      if (value === null) expect(res.status).toBe(404);
      else expect(await res.text()).toBe(value);
    }
    for (const [shard, key] of rows) expect([key, shard]).toEqual([key, key >= "k/020" ? SECOND : FIRST]);
    await expectConsistent(bucket);
  });
});

describe("one move per bucket, and its cancel", () => {
  it("a second move is refused while one is unfinished (naming the same move resumes it); a cancel before the switch removes the partial copy, after it is refused", async () => {
    const { bucket, id, keys } = await seeded("c/", 30, 3, "v0");
    const db = database(env.DB);

    await startMove(db, id, "c/010", SECOND);
    await advanceMove(env, id, "c/010", now(), 1); // one batch: the 20 keys copied, not switched
    expect(await rowsEverywhere(bucket)).toHaveLength(50);
    await expect(startMove(db, id, "c/020", SECOND)).rejects.toThrow(/another move of this bucket is unfinished/);
    await expect(startMove(db, id, "c/000", FIRST)).rejects.toThrow(/another move/); // a split only, too
    await expect(startMove(db, id, "c/010", FIRST)).rejects.toThrow(/another move/); // not the same move
    expect((await startMove(db, id, "c/010", SECOND)).moveTo).toBe(SECOND); // the same move: resumed
    expect((await file(bucket, "c/015", { method: "PUT", body: "no", headers: { "Content-Type": "text/plain" } })).status).toBe(503);

    const cancelled = await cancelMove(env, id, now());
    expect(cancelled).toMatchObject({ start: "c/010", shard: FIRST, moveTo: null, drainShard: null, cancelled: false });
    // The partial copy is gone with its references and counters; the range takes writes again on its shard.
    expect(await rowsEverywhere(bucket)).toEqual(keys.map((k) => [FIRST, k]));
    // No empty anchor is left on the target, which holds nothing of the bucket.
    expect(await anchorOn(SECOND, id)).toBeNull();
    await put(bucket, "c/015", "v1 c/015");
    expect(await (await file(bucket, "c/015")).text()).toBe("v1 c/015");
    await expectConsistent(bucket);
    expect(await cancelMove(env, id, now())).toBeNull(); // nothing left to cancel

    // The same move again, to the end this time: T has the current rows, not the cancelled copy's.
    await move(bucket, "c/010", SECOND);
    expect(await (await file(bucket, "c/015")).text()).toBe("v1 c/015");
    expect(await rowsEverywhere(bucket)).toEqual([...keys.slice(0, 10).map((k) => [FIRST, k]), ...keys.slice(10).map((k) => [SECOND, k])]);

    // After the switch a cancel is refused: only the drain is left, and the range lives on T.
    await startMove(db, id, "c/020", FIRST);
    const switched = await advanceMove(env, id, "c/020", now(), 5);
    expect([switched.shard, switched.drainShard]).toEqual([FIRST, SECOND]);
    await expect(cancelMove(env, id, now())).rejects.toThrow(/can no longer be cancelled/);
    await expect(startMove(db, id, "c/000", SECOND)).rejects.toThrow(/old copy on INDEX|old copy on DB|still has its old copy/);
    expect((await startMove(db, id, "c/020", FIRST)).drainShard).toBe(SECOND); // naming it resumes its drain
    await put(bucket, "c/025", "v1 c/025");
    expect(await (await file(bucket, "c/025")).text()).toBe("v1 c/025");
    await expectExactReferences();
  });

  it("a cancel racing the copy and the switch leaves either the cancelled or the switched move, each key once, counters and references exact", async () => {
    const outcomes: string[] = [];
    for (let trial = 0; trial < 4; trial++) {
      const { bucket, id, keys } = await seeded("r/", 150, 4, "v");
      await startMove(database(env.DB), id, "r/0020", SECOND); // 130 keys: two batches
      // A mover copying one batch per call, and a cancel after 0, 1 or 2 turns of the event loop, or once the mover is done.
      const mover = (async () => {
        for (let call = 0; call < 10; call++) {
          const r = await advanceMove(env, id, "r/0020", now(), 1).catch((err: Error) => (err.message.includes("cancelled") ? null : Promise.reject(err)));
          if (r === null || r.moveTo === null) return;
        }
      })();
      if (trial === 3) await mover.then(() => new Promise((resolve) => setTimeout(resolve, 0)));
      else for (let n = 0; n < trial; n++) await new Promise((resolve) => setTimeout(resolve, 0));
      const cancel = await cancelMove(env, id, now()).then(
        (r) => r,
        (err: Error) => (err.message.includes("can no longer be cancelled") ? "switched" : Promise.reject(err)),
      );
      await mover;
      outcomes.push(cancel === "switched" ? "switched" : "cancelled");
      if (cancel !== "switched") {
        // Drain whatever a late batch of the mover could have left (none expected), then check the cancel held.
        await cancelMove(env, id, now());
        expect((await describeRanges(database(env.DB), id)).map((r) => [r.start, r.shard, r.moveTo, r.drainShard])).toEqual([
          ["", FIRST, null, null],
          ["r/0020", FIRST, null, null],
        ]);
        expect(await rowsEverywhere(bucket)).toEqual(keys.map((k) => [FIRST, k]));
      } else {
        await move(bucket, "r/0020", SECOND);
        expect(await rowsEverywhere(bucket)).toEqual([...keys.slice(0, 20).map((k) => [FIRST, k]), ...keys.slice(20).map((k) => [SECOND, k])]);
      }
      for (const key of [keys[0], keys[60], keys[149]]) expect(await (await file(bucket, key)).text()).toBe(`v ${key}`);
      await expectConsistent(bucket);
    }
    expect(outcomes[0]).toBe("cancelled");
    expect(outcomes[3]).toBe("switched");
  }, 240_000);
});

describe("a mover that read the move before its cancel", () => {
  it("its switch and its fence step, run after the cancel, change nothing: the range takes writes on its own shard and reads its own rows", async () => {
    // The interleaving: a mover reads the range as copying and finds every row copied; a cancel runs
    // to its end (T fenced, the range row back on S, S's fence lifted, T's partial copy drained); then
    // the mover's switch marks S's fence moved_to = T, and another call with the same stale view sets
    // S's fence again. Either fence, left on S, refuses every write to the range for ever
    // (RangeMoving: the range is on S and not moving) and sends its reads to T, which holds nothing.
    const { bucket, id, keys } = await seeded("f/", 30, 3, "v0");
    const db = database(env.DB);
    await startMove(db, id, "f/010", SECOND);
    const stale = await advanceMove(env, id, "f/010", now(), 1); // every row copied, not switched
    expect([stale.shard, stale.moveTo, stale.copyAfter]).toEqual([FIRST, SECOND, "f/029"]);
    expect(await cancelMove(env, id, now())).toMatchObject({ shard: FIRST, moveTo: null, drainShard: null });

    const late = (step: Promise<unknown>) =>
      step.then(
        () => "ran",
        (err: Error) => (err instanceof MoveRefused ? "refused" : Promise.reject(err)),
      );
    expect(await late(switchMove(env, id, stale, now()))).toBe("refused");
    expect(await late(fence(db, id, stale))).toBe("refused");

    expect((await describeRanges(db, id)).map((r) => [r.start, r.shard, r.moveTo, r.drainShard])).toEqual([
      ["", FIRST, null, null],
      ["f/010", FIRST, null, null],
    ]);
    expect((await file(bucket, "f/015", { method: "PUT", body: "v1 f/015", headers: { "Content-Type": "text/plain" } })).status).toBe(200);
    expect((await file(bucket, "f/021", { method: "DELETE" })).status).toBe(204);
    for (const [key, body] of [["f/015", "v1 f/015"], ["f/020", "v0 f/020"], ["f/029", "v0 f/029"], ["f/005", "v0 f/005"]]) {
      expect([key, await (await file(bucket, key)).text()]).toEqual([key, body]);
    }
    expect((await file(bucket, "f/021")).status).toBe(404);
    expect(await rowsEverywhere(bucket)).toEqual(keys.filter((k) => k !== "f/021").map((k) => [FIRST, k]));
    await expectConsistent(bucket);
  });
});

describe("a copy batch of a call that read the move long ago", () => {
  it("inserts nothing on T once the move was cancelled (even with T's fence lifted late) or has switched: no row that no range names, no key brought back", async () => {
    const { bucket, id, keys } = await seeded("g/", 30, 3, "v0");
    const db = database(env.DB);
    await startMove(db, id, "g/010", SECOND);
    await advanceMove(env, id, "g/010", now(), 0); // fenced, nothing copied
    const stale = (await describeRanges(db, id)).find((r) => r.start === "g/010")!;
    expect(await cancelMove(env, id, now())).toMatchObject({ shard: FIRST, moveTo: null, drainShard: null });
    // A fence step that fenced S just before the cancel lifts T's fences after it (its T half, late) ...
    await shards().find(([n]) => n === SECOND)![1].prepare("DELETE FROM range_fences WHERE bucket_id = ?").bind(id).run();
    // ... and a copy batch of a third call with the stale view lands after the cancel's drain.
    await expect(copyBatch(env, db, id, stale, now())).rejects.toThrow(MoveRefused);
    expect(await rowsEverywhere(bucket)).toEqual(keys.map((k) => [FIRST, k]));
    expect(await anchorOn(SECOND, id)).toBeNull();
    await expectExactReferences();

    // After a switch, a late batch does not bring back a key deleted on T meanwhile.
    await startMove(db, id, "g/010", SECOND);
    const early = (await describeRanges(db, id)).find((r) => r.start === "g/010")!;
    const switched = await advanceMove(env, id, "g/010", now(), 2);
    expect([switched.shard, switched.drainShard]).toEqual([SECOND, FIRST]);
    expect((await file(bucket, "g/015", { method: "DELETE" })).status).toBe(204);
    await expect(copyBatch(env, db, id, { ...early, copyAfter: null }, now())).rejects.toThrow(MoveRefused);
    expect((await file(bucket, "g/015")).status).toBe(404);
    expect(await anchorOn(SECOND, id)).toEqual({ bytes: 19 * "v0 g/000".length, objects: 19 });
    const totals = await totalsAndKeys(bucket);
    expect(totals.described).toEqual(totals.recount);
    await expectExactReferences();
  });
});

describe("reads with a range list cached before the switch", () => {
  it("read where the range went (the old shard's fence names it): a write acknowledged there is read back at once", async () => {
    const { bucket, id, keys } = await seeded("s/", 12, 2, "v0");
    await startMove(database(env.DB), id, "s/06", SECOND);
    await advanceMove(env, id, "s/06", now(), 5); // copied and switched; the old copy waits for its drain
    // An isolate that cached the ranges before the switch: everything on the first shard.
    const stale = () => noteRanges(id, JSON.stringify([["", FIRST, null], ["s/06", FIRST, SECOND]]));
    stale();
    await put(bucket, "s/07", "v1 s/07"); // the write meets the old shard's fence and runs on the new one
    await put(bucket, "s/99", "v1 s/99"); // a key the old shard never had
    for (const [key, body] of [["s/07", "v1 s/07"], ["s/99", "v1 s/99"], ["s/08", "v0 s/08"], [keys[0], `v0 ${keys[0]}`]]) {
      stale();
      expect([key, await (await file(bucket, key)).text()]).toEqual([key, body]);
      stale();
      expect([key, (await file(bucket, key, { method: "HEAD" })).headers.get("Content-Length")]).toEqual([key, String(body.length)]);
    }
    stale();
    expect((await file(bucket, "s/09", { method: "DELETE" })).status).toBe(204);
    stale();
    expect((await file(bucket, "s/09")).status).toBe(404); // the old copy still holds it, but the read goes to the new shard
    // The stale copy is still on the old shard until the drain: the reads above did not read it.
    expect(await shards().find(([n]) => n === FIRST)![1].prepare("SELECT COUNT(*) AS n FROM objects WHERE bucket_id = ? AND key >= 's/06'").bind(id).first("n")).toBe(6);
  });
});

describe("listings with a range list cached before the switch", () => {
  it("read the moved range where it went: a write or delete acknowledged there is in the next listing, page by page, UFile and S3", async () => {
    const { bucket, id } = await seeded("s/", 12, 2, "v0");
    await startMove(database(env.DB), id, "s/06", SECOND);
    await advanceMove(env, id, "s/06", now(), 5); // copied and switched; the old copy waits for its drain
    const stale = () => noteRanges(id, JSON.stringify([["", FIRST, null], ["s/06", FIRST, SECOND]]));
    stale();
    await put(bucket, "s/07", "v1 s/07, longer"); // acknowledged on the new shard
    stale();
    await put(bucket, "s/99", "v1 s/99");
    stale();
    expect((await file(bucket, "s/09", { method: "DELETE" })).status).toBe(204);
    const expected = [...["00", "01", "02", "03", "04", "05", "06", "07", "08", "10", "11"].map((n) => `s/${n}`), "s/99"];

    /** Every page of a listing, the isolate's ranges made stale before each page. */
    const stalePages = async (query: string) => {
      const keys: string[] = [];
      const sizes = new Map<string, number>();
      let marker = "";
      for (let n = 0; n < 50; n++) {
        stale();
        const body = await list(bucket, `${query}&marker=${encodeURIComponent(marker)}`);
        for (const f of body.DataSet ?? body.Contents) {
          keys.push(f.FileName ?? f.Key);
          sizes.set(f.FileName ?? f.Key, Number(f.Size));
        }
        if (!body.NextMarker) return { keys, sizes };
        marker = body.NextMarker;
      }
      throw new Error("listing did not end");
    };
    for (const query of ["list&prefix=s%2F&limit=1000", "list&prefix=s%2F&limit=4", "list&prefix=s%2F&limit=1", "listobjects&prefix=&max-keys=5", "list&prefix=s%2F0&limit=3"]) {
      const { keys, sizes } = await stalePages(query);
      const want = query.includes("s%2F0") ? expected.filter((k) => k.startsWith("s/0")) : expected;
      expect({ query, keys }).toEqual({ query, keys: want });
      expect({ query, size: sizes.get("s/07") }).toEqual({ query, size: "v1 s/07, longer".length });
    }
    // The control database's answer may predate the switch too (a replica behind it): the listing then
    // reads the moved span where the old shard's fence names.
    const lagging = (d1: D1Database | D1DatabaseSession): D1Database =>
      new Proxy(d1, {
        get(t, prop) {
          if (prop === "prepare") return (text: string) => t.prepare(text.replace("SELECT start_key AS start, shard,", `SELECT start_key AS start, '${FIRST}' AS shard,`));
          if (prop === "withSession") return (...args: unknown[]) => lagging((t as D1Database).withSession(...(args as [string])));
          const value = Reflect.get(t, prop);
          return typeof value === "function" ? value.bind(t) : value;
        },
      }) as D1Database;
    for (const limit of [1000, 5]) {
      const keys: string[] = [];
      for (let marker = "", n = 0; n < 20; n++) {
        stale();
        const res = await file(bucket, "", { query: `list&prefix=s%2F&limit=${limit}&marker=${encodeURIComponent(marker)}`, signedKey: "", env: { DB: lagging(env.DB) } });
        const body = (await res.json()) as { DataSet: { FileName: string }[]; NextMarker: string };
        keys.push(...body.DataSet.map((f) => f.FileName));
        if (!(marker = body.NextMarker)) break;
      }
      expect({ limit, keys }).toEqual({ limit, keys: expected });
    }
    // S3 ListObjectsV2 takes the same store call.
    stale();
    const v2 = await callWithEnv({}, await presignUrl("GET", `http://localhost/${bucket}?list-type=2&prefix=s%2F`, { accessKeyId: PUBLIC_KEY, secret: PRIVATE_KEY }));
    expect([...(await v2.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1])).toEqual(expected);
    // The old copy is still on the old shard until the drain: the listings above did not read it.
    expect(await shards().find(([n]) => n === FIRST)![1].prepare("SELECT COUNT(*) AS n FROM objects WHERE bucket_id = ? AND key >= 's/06'").bind(id).first("n")).toBe(6);
  });
});

describe("cross-range writes keep the bytes", () => {
  it("Copy, Rename, UploadHit and a multipart Finish across ranges on two shards; the sweeper keeps every referenced blob", async () => {
    const bucket = await bucketOn(FIRST);
    await put(bucket, "a/src", "shared bytes");
    await put(bucket, "a/ren", "renamed bytes");
    await move(bucket, "m", SECOND);

    // Copy from a/ (first shard) to z/ (second).
    const copied = await file(bucket, "z/copy", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${bucket}/a/src`, "Content-Length": "0" } });
    expect(copied.status).toBe(200);
    // Rename a/ren → z/ren (across), and z/copy → a/back (across, the other way).
    expect((await file(bucket, "a/ren", { method: "PUT", query: "newFileName=" + encodeURIComponent("z/ren") })).status).toBe(200);
    expect((await file(bucket, "z/copy", { method: "PUT", query: "newFileName=" + encodeURIComponent("a/back") })).status).toBe(200);
    expect((await file(bucket, "a/ren")).status).toBe(404);
    expect((await file(bucket, "z/copy")).status).toBe(404);

    // Multipart upload of a key in the second range: the upload lives on the home shard.
    const init = await file(bucket, "z/multi", { method: "POST", query: "uploads" });
    expect(init.status).toBe(200);
    const { UploadId, BlkSize } = (await init.json()) as { UploadId: string; BlkSize: number };
    const part = await file(bucket, "z/multi", { method: "PUT", query: `uploadId=${UploadId}&partNumber=0`, body: "multipart bytes" });
    expect(part.status).toBe(200);
    const finish = await file(bucket, "z/multi", { method: "POST", query: `uploadId=${UploadId}`, body: part.headers.get("ETag")!.replaceAll('"', "") });
    expect(finish.status, await finish.clone().text()).toBe(200);
    expect(BlkSize).toBeGreaterThan(0);

    // UploadHit of a/src's content into z/hit.
    const src = await file(bucket, "a/src", { method: "HEAD" });
    const etag = src.headers.get("ETag")!.replaceAll('"', "");
    const hit = await file(bucket, "uploadhit", { method: "POST", query: `Hash=${encodeURIComponent(etag)}&FileName=z%2Fhit&FileSize=12`, signedKey: "z/hit" });
    expect(hit.status, await hit.clone().text()).toBe(200);

    // Drop the originals, sweep: every remaining key still reads its bytes.
    expect((await file(bucket, "a/src", { method: "DELETE" })).status).toBe(204);
    await sweepBlobs(env, now() + 7200, 0);
    expect(await (await file(bucket, "z/ren")).text()).toBe("renamed bytes");
    expect(await (await file(bucket, "a/back")).text()).toBe("shared bytes");
    expect(await (await file(bucket, "z/hit")).text()).toBe("shared bytes");
    expect(await (await file(bucket, "z/multi")).text()).toBe("multipart bytes");
    await expectExactReferences();
  });
});

/**
 * The D1 binding `d1` with `after` run once right after the first batch that removes rows of
 * `uploads` (a multipart Complete's claim of its upload), through sessions too.
 */
function afterUploadClaim(d1: D1Database, after: () => Promise<void>): D1Database {
  const texts = new WeakMap<object, string>();
  let armed = true;
  const track = (statement: D1PreparedStatement, text: string): D1PreparedStatement => {
    texts.set(statement, text);
    const bind = statement.bind.bind(statement);
    statement.bind = (...values: unknown[]) => track(bind(...values), text);
    return statement;
  };
  const wrap = <T extends D1Database | D1DatabaseSession>(target: T): T =>
    new Proxy(target, {
      get(t, prop) {
        if (prop === "prepare") return (text: string) => track(t.prepare(text), text);
        if (prop === "withSession") return (...args: unknown[]) => wrap((t as D1Database).withSession(...(args as [string])));
        if (prop === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            const results = await t.batch(statements);
            if (armed && statements.some((s) => /DELETE FROM "uploads"/i.test(texts.get(s) ?? ""))) {
              armed = false;
              await after();
            }
            return results;
          };
        }
        const value = Reflect.get(t, prop);
        return typeof value === "function" ? value.bind(t) : value;
      },
    });
  return wrap(d1);
}

describe("an S3 CompleteMultipartUpload racing a move's start", () => {
  it("the claim of the upload and the publish are one transaction: a move fenced right after the claim cannot orphan the bytes", async () => {
    const bucket = await bucketOn(FIRST);
    const id = await bucketId(bucket);
    const keys = { accessKeyId: PUBLIC_KEY, secret: PRIVATE_KEY };
    const s3 = async (method: string, path: string, body?: string, d1?: D1Database) =>
      callWithEnv(d1 ? { [FIRST]: d1 } : {}, await presignUrl(method, `http://localhost/${bucket}/${path}`, keys), { method, body });
    const created = await s3("POST", "z/multi?uploads");
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())![1];
    const part = await s3("PUT", `z/multi?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`, "multipart bytes");
    expect(part.status).toBe(200);
    const etag = part.headers.get("ETag")!;

    // The move of [m, end) starts (its fence is set) just after the Complete's claim of the upload.
    const started = afterUploadClaim(env[FIRST as "DB"], async () => {
      await startMove(database(env.DB), id, "m", SECOND);
      await advanceMove(env, id, "m", now(), 0);
    });
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
    const completed = await s3("POST", `z/multi?uploadId=${encodeURIComponent(uploadId)}`, body, started);
    expect(completed.status, await completed.clone().text()).toBe(200);
    expect((await describeRanges(database(env.DB), id)).map((r) => [r.start, r.moveTo])).toEqual([
      ["", null],
      ["m", SECOND],
    ]); // the race happened
    // The move copies the object with the rest; its bytes outlive the sweeper.
    let clock = now();
    for (let call = 0; call < 10; call++) {
      const range = await advanceMove(env, id, "m", clock, 5);
      if (range.moveTo === null && range.drainShard === null) break;
      clock = Math.max(clock, range.drainAfter ?? 0);
    }
    await sweepBlobs(env, now() + 7200, 0);
    expect(await (await file(bucket, "z/multi")).text()).toBe("multipart bytes");
    expect(await rowsEverywhere(bucket)).toEqual([[SECOND, "z/multi"]]);
    await expectExactReferences();
  });
});

describe("the bucket's totals through a move", () => {
  const expectExactTotals = async (bucket: string, when: string) => {
    const { described, recount } = await totalsAndKeys(bucket);
    expect({ when, ...described }).toEqual({ when, ...recount });
    return recount;
  };

  it("count the moving range once: during the copy, after the switch, during and after the drain", async () => {
    const { bucket, id } = await seeded("t/", 130, 3, "v0"); // [t/010, …): 120 keys, two copy batches and two drain batches
    const all = await expectExactTotals(bucket, "before");
    expect(all.objects).toBe(130);
    await startMove(database(env.DB), id, "t/010", SECOND);
    expect((await advanceMove(env, id, "t/010", now(), 1)).copyAfter).toBe("t/109");
    expect(await expectExactTotals(bucket, "during the copy")).toEqual(all);
    const switched = await advanceMove(env, id, "t/010", now(), 2);
    expect([switched.shard, switched.drainShard]).toEqual([SECOND, FIRST]);
    expect(await rowsEverywhere(bucket)).toHaveLength(130 + 120); // the old copy is still there
    expect(await expectExactTotals(bucket, "after the switch")).toEqual(all);
    // The switch is idempotent: marking S's fence again moves no counter.
    await markSwitch(database(env.DB), id, { ...switched, shard: FIRST, moveTo: SECOND, end: null });
    expect(await expectExactTotals(bucket, "after the mark again")).toEqual(all);
    const draining = await advanceMove(env, id, "t/010", switched.drainAfter!, 1);
    expect(draining.drainShard).toBe(FIRST);
    expect(await rowsEverywhere(bucket)).toHaveLength(130 + 20);
    expect(await expectExactTotals(bucket, "during the drain")).toEqual(all);
    expect((await advanceMove(env, id, "t/010", switched.drainAfter!, 5)).drainShard).toBeNull();
    expect(await rowsEverywhere(bucket)).toHaveLength(130);
    expect(await expectExactTotals(bucket, "after the drain")).toEqual(all);
    // Every shard's anchor equals its rows again.
    for (const [shard, count] of [[FIRST, 10], [SECOND, 120]] as const) expect([shard, (await anchorOn(shard, id))?.objects]).toEqual([shard, count]);

    // Copied to a shard already summed in the totals (one holding another range, or the home shard),
    // the rows copied so far count once too; and so does a cancelled copy there until its drain.
    await startMove(database(env.DB), id, "t/000", SECOND);
    expect((await advanceMove(env, id, "t/000", now(), 1)).copyAfter).toBe("t/009");
    expect(await expectExactTotals(bucket, "during a copy to a shard holding another range")).toEqual(all);
    await move(bucket, "t/000", SECOND);
    expect(await expectExactTotals(bucket, "after that move")).toEqual(all);
    await startMove(database(env.DB), id, "t/050", FIRST);
    expect((await advanceMove(env, id, "t/050", now(), 1)).copyAfter).toBe("t/129");
    expect(await expectExactTotals(bucket, "during a copy to the home shard")).toEqual(all);
    expect(await cancelMove(env, id, now(), 0)).toMatchObject({ shard: SECOND, cancelled: true, drainShard: FIRST });
    expect(await expectExactTotals(bucket, "cancelled, its copy not drained yet")).toEqual(all);
    expect(await cancelMove(env, id, now())).toMatchObject({ shard: SECOND, cancelled: false, drainShard: null });
    expect(await expectExactTotals(bucket, "cancelled and drained")).toEqual(all);
    await expectExactReferences();
  });

  it("a cancel that wins the race after the switch marked S's fence puts the range's totals back", async () => {
    const { bucket, id } = await seeded("w/", 30, 3, "v0");
    const db = database(env.DB);
    await startMove(db, id, "w/010", SECOND);
    const copied = await advanceMove(env, id, "w/010", now(), 1); // every row copied, not switched
    const all = await expectExactTotals(bucket, "copied");
    // The switch marks S's fence (the range's rows leave S's totals) ...
    await markSwitch(db, id, copied);
    // ... and before it names T in the range row, the cancel wins.
    expect(await cancelMove(env, id, now())).toMatchObject({ shard: FIRST, moveTo: null, drainShard: null });
    await expect(switchMove(env, id, copied, now())).rejects.toThrow(MoveRefused); // the rest of the switch, late: nothing
    expect(await expectExactTotals(bucket, "cancelled")).toEqual(all);
    expect(await anchorOn(FIRST, id)).toEqual(all);
    await put(bucket, "w/015", "v1");
    expect(await expectExactTotals(bucket, "written")).toEqual({ bytes: all.bytes - "v0 w/015".length + 2, objects: 30 });
    await expectExactReferences();
  });

  it("the target's anchor takes the range at the switch, not during the copy; a switch interrupted before the range row names it still counts the range once", async () => {
    const { bucket, id } = await seeded("x/", 130, 3, "v0"); // [x/010, …): 120 keys, two copy batches
    const db = database(env.DB);
    const all = await expectExactTotals(bucket, "before");
    await startMove(db, id, "x/010", SECOND);
    expect((await advanceMove(env, id, "x/010", now(), 1)).copyAfter).toBe("x/109");
    // The copy so far is on T, not in T's anchor: a totals read subtracts nothing.
    expect(await anchorOn(SECOND, id)).toEqual({ bytes: 0, objects: 0 });
    expect(await expectExactTotals(bucket, "during the copy")).toEqual(all);
    const copied = await advanceMove(env, id, "x/010", now(), 1); // every row copied, not switched
    expect([copied.copyAfter, copied.moveTo]).toEqual(["x/129", SECOND]);
    expect(await anchorOn(SECOND, id)).toEqual({ bytes: 0, objects: 0 });

    // The switch's S and T halves, then a crash before the range row names T.
    await markSwitch(db, id, copied);
    await countArrival(db, id, copied);
    const moved = { bytes: all.bytes - 10 * "v0 x/000".length, objects: 120 };
    expect(await anchorOn(SECOND, id)).toEqual(moved);
    expect(await expectExactTotals(bucket, "switched on both shards, not in the range row")).toEqual(all);
    // Repeated (a resumed switch), neither half moves a counter again.
    await markSwitch(db, id, copied);
    await countArrival(db, id, copied);
    expect(await expectExactTotals(bucket, "both halves again")).toEqual(all);
    // Resumed: the range row names T; then the drain.
    const switched = await advanceMove(env, id, "x/010", now(), 1);
    expect([switched.shard, switched.drainShard]).toEqual([SECOND, FIRST]);
    expect(await expectExactTotals(bucket, "after the switch")).toEqual(all);
    expect((await advanceMove(env, id, "x/010", switched.drainAfter!, 5)).drainShard).toBeNull();
    expect(await expectExactTotals(bucket, "after the drain")).toEqual(all);
    for (const [shard, count] of [[FIRST, 10], [SECOND, 120]] as const) expect([shard, (await anchorOn(shard, id))?.objects]).toEqual([shard, count]);
    await expectExactReferences();
  });

  it("a cancel that wins after both halves of the switch ran restores both sides", async () => {
    const { bucket, id } = await seeded("y/", 10, 3, "v0");
    const db = database(env.DB);
    const all = await expectExactTotals(bucket, "before");
    await startMove(db, id, "y/005", SECOND);
    const copied = await advanceMove(env, id, "y/005", now(), 1);
    await markSwitch(db, id, copied);
    await countArrival(db, id, copied);
    // Before the range row names T, the cancel wins.
    expect(await cancelMove(env, id, now())).toMatchObject({ shard: FIRST, moveTo: null, drainShard: null });
    await expect(switchMove(env, id, copied, now())).rejects.toThrow(MoveRefused); // the rest of the switch, late: nothing
    await expect(countArrival(db, id, copied)).rejects.toThrow(MoveRefused);
    expect(await expectExactTotals(bucket, "cancelled")).toEqual(all);
    expect(await anchorOn(FIRST, id)).toEqual(all);
    expect(await anchorOn(SECOND, id)).toBeNull(); // the drain left no anchor on T
    await expectExactReferences();
  });
});

describe("anchors a drain leaves empty", () => {
  it("a shard a range moved off, holding nothing else of the bucket, keeps no anchor; the home shard's stays", async () => {
    const { bucket, id } = await seeded("e/", 6, 1, "v");
    await move(bucket, "e/3", SECOND);
    expect(await anchorOn(SECOND, id)).toEqual({ bytes: 3 * "v e/0".length, objects: 3 });
    await move(bucket, "e/3", FIRST); // back: SECOND holds nothing of the bucket any more
    expect(await anchorOn(SECOND, id)).toBeNull();
    const totals = await totalsAndRecount(bucket);
    expect(totals.described).toEqual(totals.recount);
    expect(totals.recount).toEqual({ bytes: 6 * "v e/0".length, objects: 6 });
    // A later move there creates it again.
    await move(bucket, "e/4", SECOND);
    expect(await anchorOn(SECOND, id)).toEqual({ bytes: 2 * "v e/0".length, objects: 2 });
    expect(await (await file(bucket, "e/5")).text()).toBe("v e/5");
  });
});

describe("DeleteBucket of a split bucket", () => {
  it("is refused while any range's shard holds an object (every anchor stays); once empty, every anchor and range row goes", async () => {
    const bucket = await bucketOn(FIRST);
    await put(bucket, "z/1", "x");
    await move(bucket, "m", SECOND);
    const id = await bucketId(bucket);
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(15023);
    await put(bucket, "a/1", "y"); // both ranges still take writes
    expect(await (await file(bucket, "z/1")).text()).toBe("x");
    expect((await file(bucket, "z/1", { method: "DELETE" })).status).toBe(204);
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(15023);
    expect((await file(bucket, "a/1", { method: "DELETE" })).status).toBe(204);
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(0);
    for (const [, d1] of shards()) expect(await d1.prepare("SELECT 1 AS x FROM buckets WHERE id = ?").bind(id).first()).toBeNull();
    expect(await env.DB.prepare("SELECT 1 AS x FROM bucket_ranges WHERE bucket_id = ?").bind(id).first()).toBeNull();
  });
  it("with a range list cached from before the split (never split, it says): still refused while a range's shard holds an object", async () => {
    const bucket = await bucketOn(FIRST);
    const id = await bucketId(bucket);
    await put(bucket, "z/1", "x");
    await move(bucket, "m", SECOND);
    // The bucket's home shard holds nothing of it now; only its range row says where z/1 is.
    noteRanges(id, "[]");
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(15023);
    expect(await anchorOn(SECOND, id)).toEqual({ bytes: 1, objects: 1 });
    expect(await (await file(bucket, "z/1")).text()).toBe("x");
    expect((await file(bucket, "z/1", { method: "DELETE" })).status).toBe(204);
    noteRanges(id, "[]");
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(0);
    for (const [, d1] of shards()) expect(await d1.prepare("SELECT 1 AS x FROM buckets WHERE id = ?").bind(id).first()).toBeNull();
    expect(await env.DB.prepare("SELECT 1 AS x FROM bucket_ranges WHERE bucket_id = ?").bind(id).first()).toBeNull();
  });
});

describe("DeleteBucket of a split bucket with open multipart uploads", () => {
  it("aborts them on the home shard, whatever shards its ranges were on and whatever the isolate knows (S3 DeleteBucket); nothing of the bucket is left on any shard", async () => {
    const bucket = await bucketOn(SECOND);
    const id = await bucketId(bucket);
    await put(bucket, "z/1", "x");
    await move(bucket, "m", FIRST);
    expect((await file(bucket, "z/1", { method: "DELETE" })).status).toBe(204);
    const opened: { id: string; blobId: string; r2UploadId: string }[] = [];
    for (const key of ["a/big", "z/big"]) {
      const { UploadId } = (await (await file(bucket, key, { method: "POST", query: "uploads" })).json()) as { UploadId: string };
      expect((await file(bucket, key, { method: "PUT", query: `uploadId=${UploadId}&partNumber=0`, body: new TextEncoder().encode("part") })).status).toBe(200);
      const [, home] = shards().find(([n]) => n === SECOND)!;
      const row = (await home.prepare("SELECT blob_id, r2_upload_id FROM uploads WHERE id = ?").bind(UploadId).first<{ blob_id: string; r2_upload_id: string }>())!;
      opened.push({ id: UploadId, blobId: row.blob_id, r2UploadId: row.r2_upload_id });
    }
    // S3 DeleteBucket here (test/shards.test.ts has the UFile one), in an isolate that lost the bucket's placement.
    forgetPlacement(id);
    expect((await s3DeleteBucket(bucket)).status).toBe(204);
    for (const [shard, d1] of shards()) {
      for (const table of ["buckets WHERE id = ?", "objects WHERE bucket_id = ?", "uploads WHERE bucket_id = ?", "range_fences WHERE bucket_id = ?", "range_arrivals WHERE bucket_id = ?"]) {
        expect([shard, table, await d1.prepare(`SELECT 1 AS x FROM ${table}`).bind(id).first()]).toEqual([shard, table, null]);
      }
      for (const u of opened) expect([shard, await d1.prepare("SELECT 1 AS x FROM upload_parts WHERE upload_id = ?").bind(u.id).first()]).toEqual([shard, null]);
    }
    for (const u of opened) await expect(env.BLOBS.resumeMultipartUpload(`blobs/${u.blobId}`, u.r2UploadId).uploadPart(2, new Uint8Array(1))).rejects.toThrow();
  });
});

/** S3 DeleteBucket, path-style, signed in the `Authorization` header (DeleteBucket takes no presigned URL). */
async function s3DeleteBucket(bucket: string): Promise<Response> {
  const url = `http://localhost/${bucket}`;
  const at = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const scope = `${at.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const signed = ["host", "x-amz-content-sha256", "x-amz-date"];
  const headers = { host: "localhost", "x-amz-content-sha256": await sha256Hex(""), "x-amz-date": at };
  const canonical = canonicalRequest("DELETE", `/${bucket}`, "", canonicalHeaders(new Request(url, { headers }), new URL(url), signed), signed, headers["x-amz-content-sha256"]);
  const key = await signingKey(PRIVATE_KEY, at.slice(0, 8), "us-east-1", "s3");
  const sig = [...(await hmac(key, await stringToSign(at, scope, canonical)))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const authorization = `AWS4-HMAC-SHA256 Credential=${PUBLIC_KEY}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${sig}`;
  return callWithEnv({}, url, { method: "DELETE", headers: { ...headers, Authorization: authorization } });
}

describe("DeleteBucket while a move of the bucket is unfinished", () => {
  it("is refused with the retryable error (UFile -90022, S3 503 SlowDown) while copying, cancelled or switched until the drain ends; then leaves no row, anchor or reference anywhere", async () => {
    const bucket = await bucketOn(FIRST);
    const id = await bucketId(bucket);
    const db = database(env.DB);
    const refusedBoth = async (when: string) => {
      const ufile = await control({ Action: "DeleteBucket", BucketName: bucket });
      expect([when, ufile.body.RetCode]).toEqual([when, -90022]);
      const s3 = await s3DeleteBucket(bucket);
      expect([when, s3.status, /<Code>SlowDown<\/Code>/.test(await s3.text())]).toEqual([when, 503, true]);
    };
    await put(bucket, "a/1", "x");
    await put(bucket, "z/1", "shared");
    await put(bucket, "z/2", "shared");
    await move(bucket, "m", SECOND);
    expect((await file(bucket, "a/1", { method: "DELETE" })).status).toBe(204);

    // Copying (back to the home shard): refused.
    await startMove(db, id, "m", FIRST);
    await advanceMove(env, id, "m", now(), 0);
    await refusedBoth("copying");
    // Cancelled, its partial copy not drained yet: refused.
    await advanceMove(env, id, "m", now(), 1);
    expect(await cancelMove(env, id, now(), 0)).toMatchObject({ cancelled: true, drainShard: FIRST });
    await refusedBoth("cancelled");
    expect(await cancelMove(env, id, now())).toMatchObject({ drainShard: null });
    // Switched back to the home shard (SECOND then holds no range), its old copy waiting for the drain:
    // the bucket's objects deleted, DeleteBucket is still refused (it would orphan SECOND's old copy).
    await startMove(db, id, "m", FIRST);
    const switched = await advanceMove(env, id, "m", now(), 5);
    expect([switched.shard, switched.drainShard]).toEqual([FIRST, SECOND]);
    for (const key of ["z/1", "z/2"]) expect((await file(bucket, key, { method: "DELETE" })).status).toBe(204);
    await refusedBoth("switched, not drained");
    expect(await rowsEverywhere(bucket)).toEqual([[SECOND, "z/1"], [SECOND, "z/2"]]);

    expect((await advanceMove(env, id, "m", switched.drainAfter!, 5)).drainShard).toBeNull();
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(0);
    await sweepBlobs(env, now() + 7200, 0);
    for (const [shard, d1] of shards()) {
      for (const table of ["buckets WHERE id = ?", "objects WHERE bucket_id = ?", "blobs WHERE bucket_id = ?", "range_fences WHERE bucket_id = ?", "range_arrivals WHERE bucket_id = ?"]) {
        expect([shard, table, await d1.prepare(`SELECT 1 AS x FROM ${table}`).bind(id).first()]).toEqual([shard, table, null]);
      }
    }
    expect(await env.DB.prepare("SELECT 1 AS x FROM bucket_ranges WHERE bucket_id = ?").bind(id).first()).toBeNull();
    await expectExactReferences();
    // A split of the deleted bucket (one that read it before the deletion) writes no range row.
    await expect(startMove(db, id, "m", SECOND)).rejects.toThrow(MoveRefused);
    expect(await env.DB.prepare("SELECT 1 AS x FROM bucket_ranges WHERE bucket_id = ?").bind(id).first()).toBeNull();
  });
});
