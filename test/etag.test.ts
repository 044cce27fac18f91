import { describe, expect, it } from "vitest";
import { toBase64Url, toHex, utf8 } from "../src/crypto";
import {
  ETAG_BLOCK,
  UFileHasher,
  etagFromBlocks,
  hashingStream,
  isEmptyFileEtag,
  normalizeEtag,
  partEtag,
  ufileEtagOf,
  type HashResult,
} from "../src/core/etag";

const MiB = 1024 * 1024;
const EMPTY_ETAG = "AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ";

/** docs/protocol.md §4.4's patterned body: byte i = (i * 7) & 255. */
function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7) & 255;
  return out;
}

/** Views of `data` whose sizes cycle through `sizes`. */
function* chunksOf(data: Uint8Array, sizes: number[]): Generator<Uint8Array> {
  for (let off = 0, i = 0; off < data.byteLength; off += sizes[i++ % sizes.length]) {
    yield data.subarray(off, off + sizes[i % sizes.length]);
  }
}

/** Feeds `data` to a new hasher in chunks whose sizes cycle through `sizes`. */
async function hashChunked(data: Uint8Array, sizes: number[], opts = { wholeSha1: true, md5: true }): Promise<HashResult> {
  const hasher = new UFileHasher(opts);
  for (const chunk of chunksOf(data, sizes)) await hasher.update(chunk);
  return hasher.finish();
}

/** Hashes each part (whole SHA-1 + windows) and derives the object ETag from the parts' windows only. */
async function multipart(data: Uint8Array, partSize: number) {
  const parts: HashResult[] = [];
  for (let off = 0; off < data.byteLength || parts.length === 0; off += partSize) {
    parts.push(await hashChunked(data.subarray(off, off + partSize), [partSize], { wholeSha1: true, md5: false }));
  }
  return {
    partEtags: parts.map((p) => partEtag(p.wholeSha1!)),
    windowsPerPart: parts.map((p) => p.blockSha1s.length),
    etag: await etagFromBlocks(parts.flatMap((p) => p.blockSha1s)),
  };
}

const subtle = async (alg: "SHA-1" | "MD5", data: Uint8Array) => new Uint8Array(await crypto.subtle.digest(alg, data));

describe("workerd DigestStream", () => {
  it.each(["SHA-1", "MD5"] as const)("supports %s and matches crypto.subtle", async (alg) => {
    const data = pattern(100_000);
    const ds = new crypto.DigestStream(alg);
    const w = ds.getWriter();
    await w.write(data.subarray(0, 33_333));
    await w.write(data.subarray(33_333));
    await w.close();
    expect(toHex(await ds.digest)).toBe(toHex(await subtle(alg, data)));
  });
});

describe("object ETag vectors (docs/protocol.md §4.4)", () => {
  it.each([
    ["abc", utf8("abc"), "AQAAAKmZPjZHBoFquj4lcXhQwmyc0Nid"],
    ["hello ufile\\n", utf8("hello ufile\n"), "AQAAAI3mCYmPuciV8wTC_djV1TsKEiwA"],
    ["4 MiB of 0x00", new Uint8Array(4 * MiB), "AQAAACvMvS848VwT631aif2dhfWV4jvD"],
    ["4 MiB + 1 of 0x00", new Uint8Array(4 * MiB + 1), "AgAAABCFgki5yzon0rjN9uJusf6qtsF6"],
    ["8 MiB of 0x00", new Uint8Array(8 * MiB), "AgAAAMCVE24-Immdd6zm-ffVVhsWYcDG"],
    ["(i*7)&255, 5 MiB + 123", pattern(5 * MiB + 123), "AgAAAJ-P64DjvBkItO4C2oWPpzBPyAr2"],
    ["(i*7)&255, 20 MiB + 5", pattern(20 * MiB + 5), "BgAAAMLSg3CJt5fzwLVoUEaGIj23oQLI"],
    ["empty", new Uint8Array(0), EMPTY_ETAG],
  ])("%s", async (_name, data, etag) => {
    const got = await ufileEtagOf(data);
    expect(got).toBe(etag);
    expect(got).toHaveLength(32);
  });

  it("window count: n = ceil(size / 4 MiB), 0 for an empty body", async () => {
    for (const [size, n] of [[0, 0], [1, 1], [ETAG_BLOCK, 1], [ETAG_BLOCK + 1, 2], [2 * ETAG_BLOCK, 2], [2 * ETAG_BLOCK + 1, 3]]) {
      const r = await hashChunked(new Uint8Array(size), [MiB]);
      expect(r.size).toBe(size);
      expect(r.blockSha1s).toHaveLength(n);
    }
  });

  it("a body of at most one window: digest = SHA1(data), window digest = whole SHA-1", async () => {
    const data = pattern(ETAG_BLOCK);
    const r = await hashChunked(data, [ETAG_BLOCK]);
    expect(toHex(r.blockSha1s[0])).toBe(toHex(await subtle("SHA-1", data)));
    expect(toHex(r.wholeSha1!)).toBe(toHex(r.blockSha1s[0]));
  });
});

describe("part ETags and multipart (docs/protocol.md §4.2-4.4)", () => {
  it("8 MiB of 0x00 as one part", async () => {
    const m = await multipart(new Uint8Array(8 * MiB), 8 * MiB);
    expect(m.partEtags).toEqual(["X94czmA-ZWbSDagRyci8zLBE1K4="]);
    expect(m.windowsPerPart).toEqual([2]);
    expect(m.etag).toBe("AgAAAMCVE24-Immdd6zm-ffVVhsWYcDG");
  });

  it("(i*7)&255, 5 MiB + 123: split at 4 MiB, and as one 8 MiB-BlkSize part", async () => {
    const data = pattern(5 * MiB + 123);
    const split = await multipart(data, 4 * MiB);
    expect(split.partEtags).toEqual(["Bo6dPfpyzW2lid5PoQl9NpJXggE=", "pYr2YFXUfjZKeDKpGZWdHnhOPvE="]);
    expect(split.etag).toBe("AgAAAJ-P64DjvBkItO4C2oWPpzBPyAr2");
    const one = await multipart(data, 8 * MiB);
    expect(one.partEtags).toEqual(["NtW0dmX8-uXHzgtyWJ2n5gBKOXM="]);
    expect(one.etag).toBe("AgAAAJ-P64DjvBkItO4C2oWPpzBPyAr2");
  });

  it("(i*7)&255, 20 MiB + 5 in 8 MiB parts: n = 6 from the parts' windows", async () => {
    const m = await multipart(pattern(20 * MiB + 5), 8 * MiB);
    expect(m.partEtags).toEqual([
      "F9xyIqnaP_E1QkQB_jt8irQm5ec=",
      "F9xyIqnaP_E1QkQB_jt8irQm5ec=",
      "iWb85xmrUaEAviI7hWH9THg5poU=",
    ]);
    expect(m.windowsPerPart).toEqual([2, 2, 2]);
    expect(m.etag).toBe("BgAAAMLSg3CJt5fzwLVoUEaGIj23oQLI");
  });

  it("a single empty part: no windows, n = 0", async () => {
    const m = await multipart(new Uint8Array(0), 8 * MiB);
    expect(m.windowsPerPart).toEqual([0]);
    expect(m.partEtags).toEqual(["2jmj7l5rSw0yVb_vlWAYkK_YBwk="]); // base64url(SHA1(""))
    expect(m.etag).toBe(EMPTY_ETAG);
    expect(await etagFromBlocks([])).toBe(EMPTY_ETAG);
  });

  it("part ETags are 28 characters, URL-safe, padded", async () => {
    const etag = partEtag(await subtle("SHA-1", utf8("abc")));
    expect(etag).toBe("qZk-NkcGgWq6PiVxeFDCbJzQ2J0=");
    expect(etag).toHaveLength(28);
  });

  it("rejects a window digest that is not 20 bytes", async () => {
    await expect(etagFromBlocks([new Uint8Array(20), new Uint8Array(19)])).rejects.toThrow(/19 bytes/);
  });
});

describe("streaming", () => {
  // Chunk edges land everywhere, including 1 byte before/after the 4 MiB window boundaries.
  const schedules: [string, number[]][] = [
    ["1, 7, 65537", [1, 7, 65537]],
    ["65537, 7, 1", [65537, 7, 1]],
    ["up to 1 byte before a window edge, then 1-byte chunks", [ETAG_BLOCK - 1, 1, 1, 1]],
    ["3 MiB + 1", [3 * MiB + 1]],
    ["9 MiB (one chunk spanning three windows)", [9 * MiB]],
  ];
  const data = pattern(8 * MiB + 3);

  it.each(schedules)("chunks of %s give the same windows, whole SHA-1 and MD5 as one chunk", async (_name, sizes) => {
    const ref = await hashChunked(data, [data.byteLength]);
    const got = await hashChunked(data, sizes);
    expect(got.size).toBe(data.byteLength);
    expect(got.blockSha1s.map(toHex)).toEqual(ref.blockSha1s.map(toHex));
    expect(toHex(got.wholeSha1!)).toBe(toHex(ref.wholeSha1!));
    expect(toHex(got.md5!)).toBe(toHex(ref.md5!));
    expect(await etagFromBlocks(got.blockSha1s)).toBe(await etagFromBlocks(ref.blockSha1s));
  });

  it("one-chunk results match an independent computation", async () => {
    const ref = await hashChunked(data, [data.byteLength]);
    expect(toHex(ref.wholeSha1!)).toBe(toHex(await subtle("SHA-1", data)));
    expect(toHex(ref.md5!)).toBe(toHex(await subtle("MD5", data)));
    const windows = [data.subarray(0, ETAG_BLOCK), data.subarray(ETAG_BLOCK, 2 * ETAG_BLOCK), data.subarray(2 * ETAG_BLOCK)];
    expect(ref.blockSha1s.map(toHex)).toEqual(await Promise.all(windows.map(async (w) => toHex(await subtle("SHA-1", w)))));
  });

  it("md5 of a known string", async () => {
    const r = await hashChunked(utf8("abc"), [1]);
    expect(toHex(r.md5!)).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(toHex(r.wholeSha1!)).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
  });

  it("omits wholeSha1 and md5 unless asked for; ignores empty chunks", async () => {
    const hasher = new UFileHasher();
    await hasher.update(new Uint8Array(0));
    await hasher.update(utf8("abc"));
    await hasher.update(new Uint8Array(0));
    const r = await hasher.finish();
    expect(r.wholeSha1).toBeUndefined();
    expect(r.md5).toBeUndefined();
    expect(r.size).toBe(3);
    expect(await etagFromBlocks(r.blockSha1s)).toBe("AQAAAKmZPjZHBoFquj4lcXhQwmyc0Nid");
  });

  it("refuses to be used after finish", async () => {
    const hasher = new UFileHasher();
    await hasher.finish();
    await expect(hasher.update(utf8("x"))).rejects.toThrow(/after finish/);
    await expect(hasher.finish()).rejects.toThrow(/twice/);
  });

  it("hashingStream passes the bytes through unchanged and hashes them", async () => {
    const body = pattern(4 * MiB + 10);
    const sizes = [65536, 1, 4 * MiB - 65537, 3, 7];
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunksOf(body, sizes)) controller.enqueue(chunk.slice());
        controller.close();
      },
    });
    const hasher = new UFileHasher({ md5: true });
    const out = new Uint8Array(await new Response(source.pipeThrough(hashingStream(hasher))).arrayBuffer());
    expect(out.byteLength).toBe(body.byteLength);
    expect(toHex(await subtle("SHA-1", out))).toBe(toHex(await subtle("SHA-1", body)));
    const r = await hasher.finish();
    expect(r.size).toBe(body.byteLength);
    expect(await etagFromBlocks(r.blockSha1s)).toBe(await ufileEtagOf(body));
    expect(toHex(r.md5!)).toBe(toHex(await subtle("MD5", body)));
  });
});

describe("normalizeEtag and empty-file ETags", () => {
  it("trims and strips surrounding quotes", () => {
    expect(normalizeEtag('  "AQAAAKmZPjZHBoFquj4lcXhQwmyc0Nid" ')).toBe("AQAAAKmZPjZHBoFquj4lcXhQwmyc0Nid");
    expect(normalizeEtag("X94czmA-ZWbSDagRyci8zLBE1K4=\n")).toBe("X94czmA-ZWbSDagRyci8zLBE1K4=");
    expect(normalizeEtag('"')).toBe('"');
    expect(normalizeEtag('a"b')).toBe('a"b');
  });

  it.each([EMPTY_ETAG, "AQAAANo5o-5ea0sNMlW_75VgGJCv2AcJ", "AAAAAA==", '"AAAAAA=="', ` "${EMPTY_ETAG}"`])(
    "%s is an empty-file ETag",
    (etag) => expect(isEmptyFileEtag(etag)).toBe(true),
  );

  it.each(["AQAAAKmZPjZHBoFquj4lcXhQwmyc0Nid", "", "AAAAAA", "AgAAANo5o-5ea0sNMlW_75VgGJCv2AcJ", toBase64Url(new Uint8Array(3))])(
    "%s is not an empty-file ETag",
    (etag) => expect(isEmptyFileEtag(etag)).toBe(false),
  );
});
