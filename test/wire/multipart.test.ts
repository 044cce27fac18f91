// Issue 11: UploadPartCopy (Go MCopy, Java UploadCopyPart) and Finish with the ETag list in any order
// (the C SDK's threaded multipart), over real HTTP.
import { describe, expect, it } from "vitest";
import { file, newBucket, partEtag, pattern, putFile, ufileEtag, type FileRequest } from "./client";

const MiB = 1024 * 1024;
const BLK = 8 * MiB;

async function initiate(bucket: string, key: string, contentType = ""): Promise<string> {
  const res = await file(bucket, key, { method: "POST", query: "uploads", headers: contentType ? { "Content-Type": contentType } : {} });
  expect(res.status).toBe(200);
  expect(res.json().BlkSize).toBe(BLK);
  return res.json().UploadId;
}

/** Java's signed Date: yyyyMMddHHmmss in China time (UTC+8). */
const javaDate = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().replace(/\D/g, "").slice(0, 14);

const partQuery = (id: string, n: number) => `uploadId=${encodeURIComponent(id)}&partNumber=${n}`;

async function finish(bucket: string, key: string, id: string, etags: string[]) {
  return file(bucket, key, { method: "POST", query: `uploadId=${encodeURIComponent(id)}`, body: etags.join(","), headers: { "Content-Type": "text/plain" } });
}

/** Go's UploadPartCopy: raw copy source, `bytes=offset-(offset+size-1)`, signed without them (variant A). */
function partCopy(bucket: string, key: string, id: string, n: number, source: string, range: string | null, extra: FileRequest = {}) {
  const headers: Record<string, string> = { "X-Ufile-Copy-Source": source, "Content-Type": "application/octet-stream" };
  if (range !== null) headers["X-Ufile-Copy-Source-Range"] = range;
  return file(bucket, key, { method: "PUT", query: partQuery(id, n), ...extra, headers: { ...headers, ...extra.headers } });
}

describe("UploadPartCopy", () => {
  it("copies a 20 MiB object in 8 MiB ranges (Go MCopy): exact bytes, part ETags and object ETag", async () => {
    const src = await newBucket();
    const dst = await newBucket();
    const bytes = pattern(20 * MiB + 5);
    const sourceEtag = await putFile(src, "big/source.bin", bytes);
    expect(sourceEtag).toBe("BgAAAMLSg3CJt5fzwLVoUEaGIj23oQLI"); // docs/protocol.md §4.4

    const id = await initiate(dst, "copy.bin");
    const etags: string[] = [];
    for (let n = 0, offset = 0; offset < bytes.byteLength; n++, offset += BLK) {
      const last = Math.min(offset + BLK, bytes.byteLength) - 1;
      const res = await partCopy(dst, "copy.bin", id, n, `/${src}/big/source.bin`, `bytes=${offset}-${last}`);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ PartNumber: n });
      expect(res.headers.etag).toBe(partEtag(bytes.subarray(offset, last + 1)));
      etags.push(String(res.headers.etag));
    }
    expect(etags).toEqual(["F9xyIqnaP_E1QkQB_jt8irQm5ec=", "F9xyIqnaP_E1QkQB_jt8irQm5ec=", "iWb85xmrUaEAviI7hWH9THg5poU="]);

    const done = await finish(dst, "copy.bin", id, etags);
    expect(done.status).toBe(200);
    expect(done.json()).toMatchObject({ Key: "copy.bin", FileSize: bytes.byteLength });
    expect(done.headers.etag).toBe(sourceEtag);
    const got = await file(dst, "copy.bin");
    expect(got.headers.etag).toBe(sourceEtag);
    expect(got.body.equals(bytes)).toBe(true);
  });

  it("Java's form: Date and the copy-source lines signed (variant B)", async () => {
    const bucket = await newBucket();
    const bytes = pattern(3000, 11);
    await putFile(bucket, "dir/a b.bin", bytes);
    const id = await initiate(bucket, "java.bin", "application/octet-stream");
    const source = `/${bucket}/dir/a b.bin`;
    const range = "bytes=1000-2999";
    const date = javaDate(new Date());
    const res = await partCopy(bucket, "java.bin", id, 0, source, range, {
      headers: { Date: date },
      sign: { date, canonicalHeaders: `x-ufile-copy-source:${source}\nx-ufile-copy-source-range:${range}\n` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe(partEtag(bytes.subarray(1000, 3000)));
    const done = await finish(bucket, "java.bin", id, [String(res.headers.etag)]);
    expect(done.status).toBe(200);
    expect((await file(bucket, "java.bin")).body.equals(bytes.subarray(1000, 3000))).toBe(true);
  });

  it("refuses bad ranges with 419 -90013, missing sources with 404, archived ones with 403", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "s.bin", pattern(100));
    const id = await initiate(bucket, "t.bin");
    for (const range of ["bytes=50-10", "bytes=0-100", "bytes=-5", "items=0-1", "bytes=0-"]) {
      const res = await partCopy(bucket, "t.bin", id, 0, `/${bucket}/s.bin`, range);
      expect(res.status, range).toBe(419);
      expect(res.json().RetCode).toBe(-90013);
    }
    const missing = await partCopy(bucket, "t.bin", id, 0, `/${bucket}/nope.bin`, "bytes=0-1");
    expect(missing.status).toBe(404);
    expect(missing.json().RetCode).toBe(-148654);
    const noBucket = await partCopy(bucket, "t.bin", id, 0, `/no-such-bucket-here/s.bin`, "bytes=0-1");
    expect(noBucket.status).toBe(404);
    expect(noBucket.json().RetCode).toBe(-30010);
    // An archived source must be restored first, as for GetFile.
    await putFile(bucket, "cold.bin", pattern(100));
    expect((await file(bucket, "cold.bin", { method: "PUT", query: "storageClass=ARCHIVE" })).status).toBe(200);
    const archived = await partCopy(bucket, "t.bin", id, 0, `/${bucket}/cold.bin`, "bytes=0-1");
    expect(archived.status).toBe(403);
    expect(archived.json().RetCode).toBe(-148671);
    const unknownUpload = await partCopy(bucket, "t.bin", "not-an-upload", 0, `/${bucket}/s.bin`, "bytes=0-1");
    expect(unknownUpload.status).toBe(404);
    expect(unknownUpload.json().RetCode).toBe(-90005);
  });

  it("applies UploadPart's part rules: a short part cannot precede another", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "s.bin", pattern(1000));
    const id = await initiate(bucket, "t.bin");
    expect((await partCopy(bucket, "t.bin", id, 0, `/${bucket}/s.bin`, "bytes=0-99")).status).toBe(200);
    const second = await partCopy(bucket, "t.bin", id, 1, `/${bucket}/s.bin`, "bytes=0-99");
    expect(second.status).toBe(400);
    expect(second.json().RetCode).toBe(-90006);
  });
});

describe("Finish with the ETag list in any order", () => {
  it("accepts exactly the received parts in arrival order and assembles them in part order", async () => {
    const bucket = await newBucket();
    const parts = [pattern(BLK, 3), pattern(BLK, 5), pattern(777, 9)];
    const whole = Buffer.concat(parts);
    const id = await initiate(bucket, "c.bin", "application/octet-stream");
    const etags = await Promise.all(
      parts.map(async (bytes, n) => {
        const res = await file(bucket, "c.bin", { method: "PUT", query: partQuery(id, n), body: bytes, headers: { "Content-Type": "application/octet-stream" } });
        expect(res.status).toBe(200);
        return String(res.headers.etag);
      }),
    );
    // Refusals first: each leaves the upload open.
    const stale = partEtag(pattern(BLK, 4));
    for (const list of [
      [etags[2], etags[0]], // missing
      [etags[2], etags[0], etags[1], etags[1]], // extra
      [etags[2], etags[0], etags[0]], // one part twice, one missing
      [etags[2], stale, etags[1]], // stale
    ]) {
      const res = await finish(bucket, "c.bin", id, list);
      expect(res.status).toBe(400);
      expect(res.json().RetCode).toBe(-90007);
    }
    // The C SDK's form: arrival order, trailing comma.
    const done = await finish(bucket, "c.bin", id, [etags[2], etags[0], etags[1], ""]);
    expect(done.status).toBe(200);
    expect(done.headers.etag).toBe(ufileEtag(whole));
    const got = await file(bucket, "c.bin");
    expect(got.body.equals(whole)).toBe(true);
  });
});
