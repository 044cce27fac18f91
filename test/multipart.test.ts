import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ufileEtagOf } from "../src/core/etag";
import { parseEtagList } from "../src/data/multipart";
import { runHousekeeping, TASKS } from "../src/housekeeping";
import { database } from "../src/store/db";
import { insertUpload, listParts as listPartRows, recordPart } from "../src/store/uploads";
import { authorization, bucketOn, call, callWithEnv, control, expectError, file, fileUrl, indexOf, type Keys, newBucket, onEveryShard, pattern, put, sha1Hex, shards } from "./helpers";

/** Multipart upload through HTTP, as the SDKs drive it (docs/protocol.md §5.9, §4.3-4.4). */

const MiB = 1024 * 1024;
const BLK = 8 * MiB;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Json = Record<string, any>;


/** Bytes that never repeat within a part, so that a misplaced part changes the object (xorshift32). */
function noise(size: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer, 0, size);
}

/** base64url(SHA-1), padding kept: the part ETag, computed here without the service's code. */
async function partEtagOf(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_");
}

async function initiate(b: string, key: string, headers: Record<string, string> = {}, keys?: Keys): Promise<string> {
  const res = await file(b, key, { method: "POST", query: "uploads", headers, keys });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as Json).UploadId;
}

const partQuery = (id: string, n: number | string) => `uploadId=${id}&partNumber=${n}`;

/** Bytes of a string: a string body would make fetch add a Content-Type the test did not sign. */
const text = (s: string) => new TextEncoder().encode(s);

function sendPart(b: string, key: string, id: string, n: number | string, body: Uint8Array | ReadableStream, headers: Record<string, string> = {}) {
  return file(b, key, { method: "PUT", query: partQuery(id, n), body, headers });
}

/** UploadPart that must succeed; returns the part ETag after checking it independently. */
async function putPart(b: string, key: string, id: string, n: number, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<string> {
  const res = await sendPart(b, key, id, n, bytes, headers);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toEqual({ PartNumber: n });
  const etag = res.headers.get("ETag")!;
  expect(etag).toBe(await partEtagOf(bytes));
  return etag;
}

function finish(b: string, key: string, id: string, body: string, opts: { query?: string; headers?: Record<string, string>; keys?: Keys } = {}) {
  return file(b, key, {
    method: "POST",
    query: `uploadId=${id}${opts.query ? `&${opts.query}` : ""}`,
    body,
    headers: { "Content-Type": "text/plain", ...opts.headers },
    keys: opts.keys,
  });
}

async function listParts(b: string, id: string, query = "", keys?: Keys): Promise<Response> {
  return file(b, "", { query: `muploadpart&uploadId=${id}${query ? `&${query}` : ""}`, keys });
}

/** Cuts `bytes` into BlkSize parts. */
const cut = (bytes: Uint8Array, blk = BLK) =>
  Array.from({ length: Math.max(1, Math.ceil(bytes.byteLength / blk)) }, (_, i) => bytes.subarray(i * blk, (i + 1) * blk));

async function uploadRow(id: string) {
  const [row] = await onEveryShard<{ blob_id: string; r2_upload_id: string; touched_at: number }>("SELECT * FROM uploads WHERE id = ?", id);
  return row ?? null;
}

/** The bucket's `stored_bytes` (in its anchor row on an INDEX_* shard): its objects and the parts of its open uploads. */
async function storedBytes(bucketName: string): Promise<number> {
  const { d1, id } = await indexOf(bucketName);
  return (await d1.prepare("SELECT stored_bytes FROM buckets WHERE id = ?").bind(id).first<{ stored_bytes: number }>())!.stored_bytes;
}

/** Removes a bucket's rows as DeleteBucket does (store/buckets.ts): its anchor on its shard first, then its control row. */
async function deleteBucketRows(bucketName: string): Promise<string> {
  const { d1, id } = await indexOf(bucketName);
  await d1.prepare("DELETE FROM buckets WHERE id = ?").bind(id).run();
  await env.DB.prepare("DELETE FROM buckets WHERE id = ?").bind(id).run();
  return id;
}

async function partRows(id: string): Promise<number> {
  return (await onEveryShard<{ n: number }>("SELECT COUNT(*) AS n FROM upload_parts WHERE upload_id = ?", id)).reduce((sum, r) => sum + r.n, 0);
}

/** Whether R2 still accepts parts for the upload behind this row. */
async function r2UploadAlive(row: { blob_id: string; r2_upload_id: string }): Promise<boolean> {
  try {
    await env.BLOBS.resumeMultipartUpload(`blobs/${row.blob_id}`, row.r2_upload_id).uploadPart(1, new Uint8Array(1));
    return true;
  } catch {
    return false;
  }
}

describe("InitiateMultipartUpload", () => {
  it("answers {UploadId, BlkSize 8 MiB, Bucket, Key} as application/json, with no body (C) or {} (Java)", async () => {
    const b = await newBucket();
    for (const req of [{}, { body: "{}", headers: { "Content-Type": "application/json" } }]) {
      const res = await file(b, "dir/big.bin", { method: "POST", query: "uploads", ...req });
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/json");
      const body = (await res.json()) as Json;
      expect(body).toEqual({ UploadId: expect.stringMatching(UUID), BlkSize: 8388608, Bucket: b, Key: "dir/big.bin" });
    }
  });

  it("refuses a bad storage class, oversized user meta and unaddressable keys", async () => {
    const b = await newBucket();
    await expectError(await file(b, "k", { method: "POST", query: "uploads", headers: { "X-Ufile-Storage-Class": "GLACIER" } }), 400, -90003);
    await expectError(await file(b, "k", { method: "POST", query: "uploads", headers: { "X-Ufile-Meta-big": "v".repeat(2046) } }), 400, -90002);
    // The path keeps `..%2F` as one segment; decoded, the key has a `..` segment no URL could address again.
    const headers = { Authorization: await authorization("POST", b, "a/../b") };
    await expectError(await call(`http://${b}.localhost/a/..%2Fb?uploads`, { method: "POST", headers }), 400, -90001);
  });

  it("BlkSize is configurable but stays a multiple of 4 MiB and at least 5 MiB; each upload keeps its own", async () => {
    const b = await newBucket();
    const blkSizeWith = async (value: string) => {
      const headers = { Authorization: await authorization("POST", b, "cfg") };
      const res = await callWithEnv({ MULTIPART_BLOCK_SIZE: value }, fileUrl(b, "cfg", "uploads"), { method: "POST", headers });
      return (await res.json()) as Json;
    };
    expect((await blkSizeWith("6291456")).BlkSize).toBe(BLK); // 6 MiB: not a multiple of 4 MiB
    expect((await blkSizeWith("4194304")).BlkSize).toBe(BLK); // 4 MiB: below R2's 5 MiB
    const twelve = await blkSizeWith("12582912");
    expect(twelve.BlkSize).toBe(12 * MiB);
    // The upload keeps 12 MiB even though this Worker's default is 8: a 9 MiB part is a valid last part.
    const bytes = noise(9 * MiB, 12);
    const e0 = await putPart(b, "cfg", twelve.UploadId, 0, bytes);
    const res = await finish(b, "cfg", twelve.UploadId, e0);
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(await ufileEtagOf(bytes)); // three 4 MiB windows inside one part
  });
});

describe("a whole upload", () => {
  it("40 MiB in 8 MiB parts sent out of order and concurrently: byte-for-byte download, independent ETag", async () => {
    const b = await newBucket();
    const source = noise(40 * MiB, 40);
    const parts = cut(source);
    expect(parts.length).toBe(5);
    const id = await initiate(b, "videos/forty.bin", { "Content-Type": "video/mp4" });
    const order = [3, 0, 4, 1, 2];
    const etags: string[] = [];
    await Promise.all(order.map(async (n) => (etags[n] = await putPart(b, "videos/forty.bin", id, n, parts[n], { "Content-Type": "video/mp4" }))));
    expect(new Set(etags).size).toBe(5); // distinct parts: a misordering could not go unnoticed

    const res = await finish(b, "videos/forty.bin", id, etags.join(","));
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    expect(await res.json()).toEqual({ Bucket: b, Key: "videos/forty.bin", FileSize: 40 * MiB });
    const expected = await ufileEtagOf(source); // hashes the buffer directly, not via the parts
    expect(expected.slice(0, 5)).toBe("CgAAA"); // uint32_le(n = 10 windows of 4 MiB)
    expect(res.headers.get("ETag")).toBe(expected);

    const got = await file(b, "videos/forty.bin");
    expect(got.status).toBe(200);
    expect(got.headers.get("ETag")).toBe(expected);
    expect(got.headers.get("Content-Length")).toBe(String(40 * MiB));
    expect(got.headers.get("Content-Type")).toBe("video/mp4");
    expect(await sha1Hex(got.body!)).toBe(await sha1Hex(source));
    // The upload is gone once finished.
    await expectError(await listParts(b, id), 404, -90005);
    expect(await uploadRow(id)).toBeNull();
    expect(await partRows(id)).toBe(0);
  });

  it("docs/protocol.md §4.4 vector: (i*7)&255, 20 MiB + 5 in parts of 8, 8 and 4 MiB + 5", async () => {
    const b = await newBucket();
    const bytes = pattern(20 * MiB + 5);
    const id = await initiate(b, "vector");
    const etags = await Promise.all(cut(bytes).map((p, n) => putPart(b, "vector", id, n, p)));
    expect(etags).toEqual(["F9xyIqnaP_E1QkQB_jt8irQm5ec=", "F9xyIqnaP_E1QkQB_jt8irQm5ec=", "iWb85xmrUaEAviI7hWH9THg5poU="]);
    const res = await finish(b, "vector", id, etags.join(","));
    expect(res.headers.get("ETag")).toBe("BgAAAMLSg3CJt5fzwLVoUEaGIj23oQLI");
    expect(((await res.json()) as Json).FileSize).toBe(20 * MiB + 5);
    expect((await file(b, "vector", { method: "HEAD" })).headers.get("ETag")).toBe("BgAAAMLSg3CJt5fzwLVoUEaGIj23oQLI");
  });

  it("a single-part upload", async () => {
    const b = await newBucket();
    const id = await initiate(b, "one.txt");
    const e0 = await putPart(b, "one.txt", id, 0, text("hello ufile\n"));
    const res = await finish(b, "one.txt", id, e0);
    expect(res.headers.get("ETag")).toBe("AQAAAI3mCYmPuciV8wTC_djV1TsKEiwA");
    expect(await res.json()).toEqual({ Bucket: b, Key: "one.txt", FileSize: 12 });
    expect(await (await file(b, "one.txt")).text()).toBe("hello ufile\n");
  });

  it("a single empty part gives the empty-file ETag", async () => {
    const b = await newBucket();
    const id = await initiate(b, "empty");
    const e0 = await putPart(b, "empty", id, 0, new Uint8Array(0));
    expect(e0).toBe("2jmj7l5rSw0yVb_vlWAYkK_YBwk=");
    const res = await finish(b, "empty", id, e0);
    expect(res.headers.get("ETag")).toBe("AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ");
    expect(((await res.json()) as Json).FileSize).toBe(0);
    const got = await file(b, "empty");
    expect(got.headers.get("Content-Length")).toBe("0");
    expect(await got.text()).toBe("");
  });

  it("resumes: list the parts, send the missing one, finish with the listed ETags", async () => {
    const b = await newBucket();
    const source = noise(2 * BLK + 777, 3);
    const parts = cut(source);
    const id = await initiate(b, "resumed");
    await putPart(b, "resumed", id, 0, parts[0]);
    await putPart(b, "resumed", id, 2, parts[2]);
    // The client restarts: it knows only the upload id.
    const listed = (await (await listParts(b, id)).json()) as Json;
    const have = new Set<number>(listed.Parts.map((p: Json) => p.PartNum));
    expect([...have]).toEqual([0, 2]);
    for (const n of [0, 1, 2].filter((n) => !have.has(n))) await putPart(b, "resumed", id, n, parts[n]);

    // Paging as Go does (part-number-marker=0 while numbering starts at 0), with exact types.
    const first = await listParts(b, id, "max-parts=2&part-number-marker=0");
    expect(first.headers.get("Content-Type")).toBe("application/json");
    const page1 = (await first.json()) as Json;
    expect(page1).toEqual({
      RetCode: 0,
      ErrMsg: "",
      UploadId: id,
      Bucket: b,
      Key: "resumed",
      Status: 0,
      Parts: [
        { PartNum: 0, Etag: await partEtagOf(parts[0]), Size: BLK, LastModified: expect.any(Number) },
        { PartNum: 1, Etag: await partEtagOf(parts[1]), Size: BLK, LastModified: expect.any(Number) },
      ],
      MaxParts: 2,
      IsTruncated: true,
      NextPartNumberMarker: 2,
    });
    expect(Number.isInteger(page1.Parts[0].LastModified)).toBe(true);
    const page2 = (await (await listParts(b, id, `max-parts=2&part-number-marker=${page1.NextPartNumberMarker}`)).json()) as Json;
    expect(page2.Parts.map((p: Json) => [p.PartNum, p.Size])).toEqual([[2, 777]]);
    expect(page2.IsTruncated).toBe(false);
    const all = (await (await listParts(b, id)).json()) as Json;
    expect(all.MaxParts).toBe(1000);
    expect(all.Parts.length).toBe(3);

    const res = await finish(b, "resumed", id, all.Parts.map((p: Json) => p.Etag).join(","));
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(await ufileEtagOf(source));
    expect(await sha1Hex((await file(b, "resumed")).body!)).toBe(await sha1Hex(source));
  });

  it("a re-uploaded part replaces the earlier one", async () => {
    const b = await newBucket();
    const id = await initiate(b, "again");
    const old = await putPart(b, "again", id, 0, text("aaa"));
    const fresh = await putPart(b, "again", id, 0, text("bbbb"));
    const listed = (await (await listParts(b, id)).json()) as Json;
    expect(listed.Parts.map((p: Json) => [p.PartNum, p.Etag, p.Size])).toEqual([[0, fresh, 4]]);
    await expectError(await finish(b, "again", id, old), 400, -90007);
    expect((await finish(b, "again", id, fresh)).status).toBe(200);
    expect(await (await file(b, "again")).text()).toBe("bbbb");
  });
});

describe("HEAD and GET of a finished object", () => {
  const bytes = text("<svg/>");

  it("MIME from part 0 (Python sends text/plain on Initiate and Finish), user meta and class from Initiate", async () => {
    const b = await newBucket();
    const id = await initiate(b, "pic", { "Content-Type": "text/plain", "X-Ufile-Meta-Origin": "init", "X-Ufile-Storage-Class": "IA" });
    const e0 = await putPart(b, "pic", id, 0, bytes, { "Content-Type": "image/svg+xml" });
    const res = await finish(b, "pic", id, e0, { headers: { "X-Ufile-Meta-Origin": "finish" } });
    expect(res.status).toBe(200);
    for (const method of ["HEAD", "GET"]) {
      const got = await file(b, "pic", { method });
      expect(got.status).toBe(200);
      expect(got.headers.get("Content-Type")).toBe("image/svg+xml");
      expect(got.headers.get("Content-Length")).toBe(String(bytes.byteLength));
      expect(got.headers.get("X-Ufile-Meta-origin")).toBe("init");
      expect(got.headers.get("X-Ufile-Storage-Class")).toBe("IA");
      expect(got.headers.get("ETag")).toBe(res.headers.get("ETag"));
    }
  });

  it("X-Ufile-Metadata-Directive: REPLACE takes Finish's meta", async () => {
    const b = await newBucket();
    const id = await initiate(b, "m", { "X-Ufile-Meta-Origin": "init" });
    const e0 = await putPart(b, "m", id, 0, bytes);
    await finish(b, "m", id, e0, { headers: { "X-Ufile-Metadata-Directive": "REPLACE", "X-Ufile-Meta-Origin": "finish" } });
    expect((await file(b, "m", { method: "HEAD" })).headers.get("X-Ufile-Meta-origin")).toBe("finish");
  });

  it.each([
    ["Initiate's", { init: "application/x-init", finish: "application/x-finish" }, "application/x-init"],
    ["Finish's", { finish: "application/x-finish" }, "application/x-finish"],
    ["the default", {}, "application/octet-stream"],
  ])("without a part Content-Type the MIME is %s", async (_what, types: { init?: string; finish?: string }, mime) => {
    const b = await newBucket();
    const id = await initiate(b, "t", types.init ? { "Content-Type": types.init } : {});
    const e0 = await putPart(b, "t", id, 0, bytes);
    const headers: Record<string, string> = types.finish ? { "Content-Type": types.finish } : {};
    const res = await file(b, "t", { method: "POST", query: `uploadId=${id}`, body: text(e0), headers });
    expect(res.status).toBe(200);
    expect((await file(b, "t", { method: "HEAD" })).headers.get("Content-Type")).toBe(mime);
  });
});

describe("UploadPart refusals", () => {
  it("a short part is refused on arrival unless it is the last one", async () => {
    const b = await newBucket();
    const id = await initiate(b, "k");
    const full = noise(BLK, 5);
    const short = new Uint8Array(100);
    await putPart(b, "k", id, 1, full);
    await expectError(await sendPart(b, "k", id, 0, short), 400, -90006); // part 1 exists above it
    await putPart(b, "k", id, 2, short); // the last part may be short
    await expectError(await sendPart(b, "k", id, 3, full), 400, -90006); // nothing may follow the short part
    await expectError(await sendPart(b, "k", id, 3, short), 400, -90006);
    await expectError(await sendPart(b, "k", id, 4, new Uint8Array(0)), 400, -90006); // empty only as the only part
    await expectError(await sendPart(b, "k", id, 0, noise(BLK + 1, 5)), 400, -90006); // larger than BlkSize
    const listed = (await (await listParts(b, id)).json()) as Json;
    expect(listed.Parts.map((p: Json) => p.PartNum)).toEqual([1, 2]);
    // Full parts are fine anywhere below the short one.
    const e0 = await putPart(b, "k", id, 0, full);
    const res = await finish(b, "k", id, [e0, e0, await partEtagOf(short)].join(","));
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).FileSize).toBe(2 * BLK + 100);
  });

  it("a body without Content-Length is buffered up to BlkSize", async () => {
    const b = await newBucket();
    const id = await initiate(b, "chunked");
    // A plain ReadableStream has no known length, so the request goes out without Content-Length.
    const stream = (bytes: Uint8Array) => new ReadableStream({ start: (ctl) => (ctl.enqueue(bytes), ctl.close()) });
    const small = noise(1000, 9);
    const res = await sendPart(b, "chunked", id, 0, stream(small));
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(await partEtagOf(small));
    await expectError(await sendPart(b, "chunked", id, 0, stream(noise(BLK + 1, 9))), 400, -90006);
  });

  it.each(["-1", "10000", "x", "1.5", "", "0x1"])("partNumber %j is refused with -90006", async (n) => {
    const b = await newBucket();
    const id = await initiate(b, "k");
    await expectError(await sendPart(b, "k", id, n, text("abc")), 400, -90006);
    await expectError(await file(b, "k", { method: "PUT", query: `uploadId=${id}`, body: text("abc") }), 400, -90006); // no partNumber at all
    expect(await partRows(id)).toBe(0);
  });

  it("partNumber 9999 is the highest (R2 part 10000); a list without part 0 is not finishable", async () => {
    const b = await newBucket();
    const id = await initiate(b, "k");
    const e = await putPart(b, "k", id, 9999, text("last"));
    await expectError(await finish(b, "k", id, e), 400, -90007);
  });
});

describe("FinishMultipartUpload", () => {
  /** Three distinct parts: 8 MiB, 8 MiB, 100 B. */
  async function threeParts(b: string, key: string) {
    const id = await initiate(b, key);
    const parts = [noise(BLK, 1), noise(BLK, 2), noise(100, 3)];
    const etags = await Promise.all(parts.map((p, n) => putPart(b, key, id, n, p)));
    return { id, etags };
  }

  it.each([
    ["Python's quoted ETags", (e: string[]) => e.map((x) => `"${x}"`).join(",")],
    ["C's trailing comma", (e: string[]) => e.join(",") + ","],
    ["whitespace and newlines", (e: string[]) => ` ${e[0]} ,\n ${e[1]}\r\n`],
  ])("accepts %s", async (_name, body) => {
    const b = await newBucket();
    const id = await initiate(b, "k");
    const bytes = [noise(BLK, 11), noise(10, 12)];
    const etags = [await putPart(b, "k", id, 0, bytes[0]), await putPart(b, "k", id, 1, bytes[1])];
    const res = await finish(b, "k", id, body(etags));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Json).FileSize).toBe(BLK + 10);
  });

  it("parses every SDK variant of the ETag list the same way", () => {
    expect(parseEtagList('"a=","b=",')).toEqual(["a=", "b="]);
    expect(parseEtagList(" a= , b= ,\n")).toEqual(["a=", "b="]);
    expect(parseEtagList("")).toEqual([]);
  });

  it("refuses a missing, extra, repeated or unknown ETag, publishing nothing and keeping the upload; accepts any order", async () => {
    const b = await newBucket();
    const { id, etags: [e0, e1, e2] } = await threeParts(b, "k");
    const bodies = {
      missing: [e0, e1],
      extra: [e0, e1, e2, e2],
      repeated: [e0, e0, e2],
      unknown: [e0, e1, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="],
      empty: [],
    };
    for (const [what, list] of Object.entries(bodies)) {
      const body = await expectError(await finish(b, "k", id, list.join(",")), 400, -90007);
      expect(body.ErrMsg, what).toContain("invalid part list");
      await expectError(await file(b, "k"), 404, -148654);
    }
    expect(((await (await listParts(b, id)).json()) as Json).Parts.length).toBe(3);
    // The C SDK's threaded upload lists the ETags as the answers arrived.
    expect((await finish(b, "k", id, [e2, e0, e1].join(","))).status).toBe(200);
  });

  it("refuses a list over a gap in the part numbers", async () => {
    const b = await newBucket();
    const id = await initiate(b, "gap");
    const e0 = await putPart(b, "gap", id, 0, noise(BLK, 1));
    const e2 = await putPart(b, "gap", id, 2, noise(10, 2));
    const body = await expectError(await finish(b, "gap", id, `${e0},${e2}`), 400, -90007);
    expect(body.ErrMsg).toContain("part 1 was never uploaded");
  });

  describe("newKey", () => {
    const data = text("multipart");
    async function oneShot(b: string, key: string, query: string) {
      const id = await initiate(b, key);
      const res = await finish(b, key, id, await putPart(b, key, id, 0, data), { query });
      expect(res.status, await res.clone().text()).toBe(200);
      return ((await res.json()) as Json).Key as string;
    }

    it("is used when the key is taken at finish", async () => {
      const b = await newBucket();
      await put(b, "report", "older");
      expect(await oneShot(b, "report", "newKey=report-2")).toBe("report-2");
      expect(await (await file(b, "report")).text()).toBe("older");
      expect(await (await file(b, "report-2")).text()).toBe("multipart");
    });

    it("is ignored when the key is free", async () => {
      const b = await newBucket();
      expect(await oneShot(b, "report", "newKey=report-2")).toBe("report");
      await expectError(await file(b, "report-2"), 404, -148654);
    });

    it("empty counts as absent (Java sends newKey=): the key is overwritten", async () => {
      const b = await newBucket();
      await put(b, "report", "older");
      expect(await oneShot(b, "report", "newKey=")).toBe("report");
      expect(await (await file(b, "report")).text()).toBe("multipart");
    });

    it("newObject is accepted as its other name", async () => {
      const b = await newBucket();
      await put(b, "report", "older");
      expect(await oneShot(b, "report", "newObject=other%20name")).toBe("other name");
      expect(await (await file(b, "other name")).text()).toBe("multipart");
    });
  });
});

describe("unknown and dead upload ids", () => {
  it("every operation answers 404 -90005 for an unknown id, or one of another key or bucket", async () => {
    const b = await newBucket();
    const other = await newBucket();
    const id = await initiate(b, "k");
    for (const [bucket, key, uploadId] of [
      [b, "k", crypto.randomUUID()],
      [b, "not-k", id],
      [other, "k", id],
    ]) {
      await expectError(await sendPart(bucket, key, uploadId, 0, text("abc")), 404, -90005);
      await expectError(await finish(bucket, key, uploadId, "x"), 404, -90005);
      await expectError(await file(bucket, key, { method: "DELETE", query: `uploadId=${uploadId}` }), 404, -90005);
      if (key === "k") await expectError(await listParts(bucket, uploadId), 404, -90005);
    }
    await expectError(await file(b, "", { query: "muploadpart" }), 404, -90005);
    // The real upload was not disturbed, and no object appeared under the other key.
    await putPart(b, "k", id, 0, text("ok"));
    await expectError(await file(b, "not-k"), 404, -148654);
  });

  it("Abort: 200 empty, R2 upload aborted, the id refused afterwards", async () => {
    const b = await newBucket();
    const id = await initiate(b, "k");
    await putPart(b, "k", id, 0, noise(BLK, 1));
    const row = (await uploadRow(id))!;
    const res = await file(b, "k", { method: "DELETE", query: `uploadId=${id}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(await r2UploadAlive(row)).toBe(false);
    expect(await partRows(id)).toBe(0);
    await expectError(await sendPart(b, "k", id, 1, text("abc")), 404, -90005);
    await expectError(await finish(b, "k", id, "x"), 404, -90005);
    await expectError(await file(b, "k", { method: "DELETE", query: `uploadId=${id}` }), 404, -90005);
    await expectError(await listParts(b, id), 404, -90005);
    await expectError(await file(b, "k"), 404, -148654);
  });
});

describe("GetMultiUploadId", () => {
  it("lists uploads in progress by key, pages by key marker, drops finished and aborted ones", async () => {
    const b = await newBucket();
    const a1 = await initiate(b, "a/1", { "X-Ufile-Storage-Class": "IA" });
    const a2x = await initiate(b, "a/2");
    const a2y = await initiate(b, "a/2");
    await initiate(b, "b/1");
    const done = await initiate(b, "a/3");
    await finish(b, "a/3", done, await putPart(b, "a/3", done, 0, new Uint8Array(3)));
    const gone = await initiate(b, "a/4");
    await file(b, "a/4", { method: "DELETE", query: `uploadId=${gone}` });

    const list = async (query: string) => {
      const res = await file(b, "", { query: `muploadid&${query}` });
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/json");
      return (await res.json()) as Json;
    };
    const all = await list("prefix=a/");
    expect(all).toEqual({ RetCode: 0, ErrMsg: "", Bucket: b, NextMarker: "", IsTruncated: false, DataSet: expect.any(Array) });
    expect(all.DataSet[0]).toEqual({ UploadId: a1, FileName: "a/1", StartTime: expect.any(Number), StorageClass: "IA" });
    expect(Number.isInteger(all.DataSet[0].StartTime)).toBe(true);
    expect(new Set(all.DataSet.slice(1))).toEqual(
      new Set([a2x, a2y].map((id) => ({ UploadId: id, FileName: "a/2", StartTime: expect.any(Number), StorageClass: "STANDARD" }))),
    );
    expect((await list("")).DataSet.length).toBe(4);

    // limit=1: a page never splits the uploads of one key.
    const p1 = await list("prefix=a/&limit=1");
    expect([p1.DataSet.map((u: Json) => u.FileName), p1.NextMarker, p1.IsTruncated]).toEqual([["a/1"], "a/1", true]);
    const p2 = await list(`prefix=a/&limit=1&marker=${p1.NextMarker}`);
    expect(new Set(p2.DataSet.map((u: Json) => u.UploadId))).toEqual(new Set([a2x, a2y]));
    const p3 = await list(`prefix=a/&limit=1&marker=${p2.NextMarker}`);
    expect([p3.DataSet, p3.NextMarker, p3.IsTruncated]).toEqual([[], "", false]);
  });
});

describe("lifecycle", () => {
  it("the housekeeping task aborts uploads older than MULTIPART_MAX_AGE_SECONDS, however recent their last part, and only those", async () => {
    const b = await newBucket();
    const stale = await initiate(b, "stale");
    const fresh = await initiate(b, "fresh");
    // The stale upload started 25 hours ago (default limit: 24 hours); its part arrives now.
    await (await indexOf(b)).d1.prepare("UPDATE uploads SET created_at = created_at - 90000 WHERE id = ?").bind(stale).run();
    await putPart(b, "stale", stale, 0, noise(BLK, 1));
    expect(await storedBytes(b)).toBe(BLK);
    const staleRow = (await uploadRow(stale))!;
    const task = TASKS.filter((t) => t.name === "abort-stale-uploads");
    expect(task.length).toBe(1);
    await runHousekeeping(env, Math.floor(Date.now() / 1000), task);

    expect(await uploadRow(stale)).toBeNull();
    expect(await partRows(stale)).toBe(0);
    expect(await r2UploadAlive(staleRow)).toBe(false);
    expect(await storedBytes(b)).toBe(0);
    await expectError(await sendPart(b, "stale", stale, 1, text("abc")), 404, -90005);
    const e0 = await putPart(b, "fresh", fresh, 0, text("still here"));
    expect((await finish(b, "fresh", fresh, e0)).status).toBe(200);
  });

  it("the same task aborts uploads whose bucket is gone (a DeleteBucket that stopped before its aborts)", async () => {
    const b = await newBucket();
    const id = await initiate(b, "k");
    const row = (await uploadRow(id))!;
    await deleteBucketRows(b);
    await runHousekeeping(env, Math.floor(Date.now() / 1000), TASKS.filter((t) => t.name === "abort-stale-uploads"));
    expect(await uploadRow(id)).toBeNull();
    expect(await r2UploadAlive(row)).toBe(false);
  });

  it("…but not those of a bucket whose anchor alone is gone (a DeleteBucket between its anchor and its control row, which puts the anchor back if the bucket stays)", async () => {
    const [, [second]] = shards();
    const b = await bucketOn(second);
    const id = await initiate(b, "k");
    const row = (await uploadRow(id))!;
    const { d1, id: bucketId } = await indexOf(b);
    await d1.prepare("DELETE FROM buckets WHERE id = ?").bind(bucketId).run();
    const sweep = () => runHousekeeping(env, Math.floor(Date.now() / 1000), TASKS.filter((t) => t.name === "abort-stale-uploads"));
    await sweep();
    expect(await uploadRow(id)).not.toBeNull();
    expect(await r2UploadAlive(row)).toBe(true);
    // The control row goes too: the bucket is gone, and so are its uploads.
    await env.DB.prepare("DELETE FROM buckets WHERE id = ?").bind(bucketId).run();
    await sweep();
    expect(await uploadRow(id)).toBeNull();
    expect(await r2UploadAlive(row)).toBe(false);
  });

  it("DeleteBucket aborts the bucket's open uploads", async () => {
    const b = await newBucket();
    const id = await initiate(b, "k");
    await putPart(b, "k", id, 0, noise(BLK, 1));
    const row = (await uploadRow(id))!;
    const { body } = await control({ Action: "DeleteBucket", BucketName: b });
    expect(body.RetCode, body.Message).toBe(0);
    expect(await uploadRow(id)).toBeNull();
    expect(await partRows(id)).toBe(0);
    expect(await r2UploadAlive(row)).toBe(false);
  });
});

describe("open uploads are stored bytes", () => {
  it("parts count toward the bucket's stored bytes until Finish, which counts the object once; a re-sent part replaces its bytes", async () => {
    const b = await newBucket();
    await put(b, "other", "12345");
    const id = await initiate(b, "k");
    const e0 = await putPart(b, "k", id, 0, noise(BLK, 1));
    expect(await storedBytes(b)).toBe(5 + BLK);
    await putPart(b, "k", id, 1, text("tail"));
    const e1 = await putPart(b, "k", id, 1, text("tail, longer"));
    expect(await storedBytes(b)).toBe(5 + BLK + 12);
    expect((await finish(b, "k", id, `${e0},${e1}`)).status).toBe(200);
    expect(await storedBytes(b)).toBe(5 + BLK + 12);
    const index = await indexOf(b);
    const sums = await index.d1.prepare("SELECT SUM(size) AS total FROM objects WHERE bucket_id = ?").bind(index.id).first<{ total: number }>();
    expect(sums!.total).toBe(5 + BLK + 12);
  });

  it("Abort and a refused Finish leave exactly the bytes that are still stored", async () => {
    const b = await newBucket();
    const id = await initiate(b, "k");
    const e0 = await putPart(b, "k", id, 0, noise(BLK, 2));
    await expectError(await finish(b, "k", id, `${e0},${e0}`), 400, -90007);
    expect(await storedBytes(b)).toBe(BLK);
    expect((await file(b, "k", { method: "DELETE", query: `uploadId=${id}` })).status).toBe(200);
    expect(await storedBytes(b)).toBe(0);
  });
});

describe("token scope", () => {
  it("Finish needs WRITE on the key it publishes under; the part listing LIST on the upload's key", async () => {
    const project = `org-mp-${Date.now().toString(36)}`;
    const b = await newBucket("private", project);
    const created = await control({
      Action: "CreateUFileToken",
      ProjectId: project,
      TokenName: "uploader",
      "AllowedOps.0": "TOKEN_ALLOW_WRITE",
      "AllowedOps.1": "TOKEN_ALLOW_LIST",
      "AllowedPrefixes.0": "up/",
    });
    expect(created.body.RetCode, created.body.Message).toBe(0);
    const keys: Keys = { publicKey: created.body.UFileTokenSet.PublicKey, privateKey: created.body.UFileTokenSet.PrivateKey };
    await put(b, "up/taken", "older");

    const id = await initiate(b, "up/taken", {}, keys);
    const e0 = await putPart(b, "up/taken", id, 0, text("new"));
    expect((await listParts(b, id, "", keys)).status).toBe(200);
    await expectError(await finish(b, "up/taken", id, e0, { query: "newKey=elsewhere", keys }), 403, -90008);
    await expectError(await file(b, "elsewhere"), 404, -148654);
    const res = await finish(b, "up/taken", id, e0, { query: "newKey=up/second", keys });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).Key).toBe("up/second");

    const outside = await initiate(b, "out/x");
    await expectError(await listParts(b, outside, "", keys), 403, -90008);
  });
});

describe("the part index (store/uploads.ts)", () => {
  /** An upload row as Initiate writes it, without R2: recordPart only touches D1. */
  async function uploadIn(bucketName: string): Promise<string> {
    const bucket = (await env.DB.prepare("SELECT id FROM buckets WHERE name = ?").bind(bucketName).first<{ id: string }>())!;
    const id = crypto.randomUUID();
    const outcome = await insertUpload(database(env.DB), {
      id, bucketId: bucket.id, key: "k", blobId: crypto.randomUUID(), r2UploadId: "r2", blkSize: BLK,
      mime: "", storageClass: "STANDARD", userMeta: "{}", httpHeaders: "{}", checksum: "", ssecKeyMd5: "", tags: "[]", acl: "", createdAt: 1, touchedAt: 1,
    }, 100);
    expect(outcome).toBe("inserted");
    return id;
  }
  const part = (uploadId: string, partNumber: number, size: number, etag = `e${partNumber}-${size}`) => ({
    uploadId, partNumber, size, etag, r2Etag: `r2-${etag}`, blockSha1s: "", mime: "", modifiedAt: 100, checksum: "",
  });

  it("re-checks the size rule atomically when recording, and drops a row whose R2 part was overwritten", async () => {
    const db = database(env.DB);
    const b = await newBucket();
    const id = await uploadIn(b);
    expect(await recordPart(db, part(id, 1, BLK), BLK)).toBe("recorded");
    expect(await recordPart(db, part(id, 2, 10), BLK)).toBe("recorded");
    // As if these had passed the arrival check concurrently with the parts above:
    expect(await recordPart(db, part(id, 3, BLK), BLK)).toBe("conflict"); // above the short part 2
    expect(await recordPart(db, part(id, 1, 5), BLK)).toBe("conflict"); // short, with part 2 above
    expect(await recordPart(db, part(id, 0, BLK), BLK)).toBe("recorded");
    // Part 1's old row is gone: R2 holds the refused bytes under that number now.
    expect((await listPartRows(db, id)).map((p) => p.partNumber)).toEqual([0, 2]);
    // The bucket counts exactly the parts recorded now: the refused re-upload of part 1 took its old row's bytes out.
    expect(await storedBytes(b)).toBe(BLK + 10);
    expect((await uploadRow(id))!.touched_at).toBe(100);
    expect(await recordPart(db, part(crypto.randomUUID(), 0, 1), BLK)).toBe("gone");
  });

  it("refuses an upload row for a bucket that no longer exists", async () => {
    const b = await newBucket();
    const bucketId = await deleteBucketRows(b);
    const outcome = await insertUpload(database(env.DB), {
      id: crypto.randomUUID(), bucketId, key: "k", blobId: "x", r2UploadId: "r2", blkSize: BLK,
      mime: "", storageClass: "STANDARD", userMeta: "{}", httpHeaders: "{}", checksum: "", ssecKeyMd5: "", tags: "[]", acl: "", createdAt: 1, touchedAt: 1,
    }, 100);
    expect(outcome).toBe("bucketGone");
  });
});
