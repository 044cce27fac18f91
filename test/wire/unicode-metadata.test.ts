// Non-ASCII user metadata over real HTTP, byte for byte (src/core/metadata.ts, docs/s3.md "Non-ASCII
// metadata"). Requests go out on a raw socket so the test chooses the exact header bytes; answers are
// read as bytes (the response head is decoded as Latin-1, one character per byte).
import { CreateBucketCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { authorization, file, keyPath, newBucket, request, server, type WireRequest } from "./client";
import { RawConnection, rawRequest, type RawResponse } from "./raw-http";
import { multipartForm, postPolicyFields, s3BucketName, s3Client, s3Failure, s3Path, signV4 } from "./s3-helpers";

/** `text` as the header bytes a UTF-8 client sends, as the Latin-1 string rawRequest writes byte for byte. */
const utf8Bytes = (text: string): string => Buffer.from(text, "utf8").toString("latin1");
/** The bytes of a response header value (raw-http decodes the head as Latin-1). */
const bytesOf = (res: RawResponse, name: string): Buffer => Buffer.from(res.headers[name.toLowerCase()] ?? "", "latin1");

async function raw(req: WireRequest & { method: string; path: string }): Promise<RawResponse> {
  const conn = await RawConnection.open(server().port);
  try {
    const headers: Record<string, string> = { ...req.headers, Connection: "close" };
    if (req.body) headers["Content-Length"] = String(Buffer.byteLength(req.body));
    conn.write(rawRequest({ method: req.method, target: req.path, host: req.host ?? `127.0.0.1:${server().port}`, headers, body: req.body }));
    return await conn.readResponse({ head: req.method === "HEAD" });
  } finally {
    conn.close();
  }
}

/** A SigV4 request whose header values were signed as text and go out as the given bytes (`wire`). */
function s3Raw(method: string, path: string, meta: Record<string, string>, wire: (v: string) => string = utf8Bytes, body = "") {
  const signed = signV4({ method, path, body, headers: meta });
  const headers = Object.fromEntries(Object.entries(signed.headers!).map(([k, v]) => [k, k in meta ? wire(v) : v]));
  return raw({ method, path, host: signed.host, headers, body });
}

/** A UFile data-plane request to `<bucket>.localhost`; X-Ufile-Meta-* are not part of the UFile signature. */
function ufileRaw(method: string, bucket: string, key: string, headers: Record<string, string> = {}, body = "") {
  return raw({ method, path: keyPath(key), host: `${bucket}.localhost:${server().port}`, headers: { ...headers, Authorization: authorization(method, bucket, key) }, body });
}

const TEXT = "Hello World\u00e9 \u20ac \u4e2d\u6587 \u{1f600}";
const decodeWords = (value: string): string =>
  value
    .split(" ")
    .map((w) => /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(w)![1]!)
    .map((b64) => Buffer.from(b64, "base64"))
    .reduce((all, b) => Buffer.concat([all, b]), Buffer.alloc(0))
    .toString("utf8");

describe("S3 x-amz-meta-* with non-ASCII values", () => {
  const s3 = s3Client();
  const bucket = s3BucketName("umeta");
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  /** PutObject with header `name` sent as the UTF-8 bytes of `text`; GET and HEAD answer the same bytes. */
  async function expectUtf8RoundTrip(key: string, name: string, text: string): Promise<void> {
    const put = await s3Raw("PUT", s3Path(bucket, key), { [name]: text }, utf8Bytes, "bar");
    expect(put.status, put.body.toString()).toBe(200);
    for (const method of ["GET", "HEAD"]) {
      const got = await s3Raw(method, s3Path(bucket, key), {});
      expect(got.status).toBe(200);
      expect(bytesOf(got, name).equals(Buffer.from(text, "utf8"))).toBe(true);
    }
  }

  it("UTF-8 bytes (é, €, CJK, an emoji) read back as the same bytes from GET and HEAD", async () => {
    await expectUtf8RoundTrip("utf8", "x-amz-meta-meta1", TEXT);
  });

  it("an RFC 2047 encoded-word is accepted and read back as sent", async () => {
    const word = "=?UTF-8?B?SGVsbG8gV29ybGTDqQ==?=";
    const put = await s3Raw("PUT", s3Path(bucket, "word"), { "x-amz-meta-meta1": word }, (v) => v, "bar");
    expect(put.status, put.body.toString()).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "word" }));
    expect(head.Metadata).toEqual({ meta1: word });
    expect(decodeWords(head.Metadata!.meta1!)).toBe("Hello World\u00e9");
  });

  it("a Latin-1 byte (E9, not UTF-8) is never stored damaged: the request is refused and no object appears", async () => {
    const put = await s3Raw("PUT", s3Path(bucket, "latin1"), { "x-amz-meta-meta1": "Hello World\u00e9" }, (v) => v, "bar");
    expect(put.status).toBeGreaterThanOrEqual(400);
    expect(put.status).toBeLessThan(500);
    expect((await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "latin1" })))).status).toBe(404);
  });

  it("a POST form's non-ASCII x-amz-meta-* field is stored as RFC 2047 encoded-words of at most 75 characters", async () => {
    const long = TEXT.repeat(4);
    const form = multipartForm({ key: "form", "x-amz-meta-meta1": long, ...postPolicyFields(bucket, [{ key: "form" }, ["starts-with", "$x-amz-meta-meta1", ""]]) }, "bar");
    const post = await request({ method: "POST", path: `/${bucket}`, headers: { "Content-Type": form.contentType }, body: form.body });
    expect(post.status, post.text()).toBe(204);
    const value = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "form" }))).Metadata!.meta1!;
    const words = value.split(" ");
    expect(words.length).toBeGreaterThan(1);
    for (const w of words) expect(w.length).toBeLessThanOrEqual(75);
    expect(decodeWords(value)).toBe(long);
  });

  it("encoded-words count toward the 2 KiB by the text they stand for, as AWS counts them", async () => {
    // 1,980 bytes of UTF-8 text as 45 encoded-words: 3,284 bytes as sent, within 2048 decoded.
    const words = (text: string) => (text.match(/.{1,22}/gu) ?? []).map((chunk) => `=?UTF-8?B?${Buffer.from(chunk, "utf8").toString("base64")}?=`).join(" ");
    const within = words("\u00e9".repeat(990));
    expect(within.length).toBeGreaterThan(2048);
    const put = await s3Raw("PUT", s3Path(bucket, "words"), { "x-amz-meta-m": within }, (v) => v, "bar");
    expect(put.status, put.body.toString()).toBe(200);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "words" }))).Metadata).toEqual({ m: within });
    // 2,100 bytes decoded: too large, however it is sent.
    const over = await s3Raw("PUT", s3Path(bucket, "words-over"), { "x-amz-meta-m": words("\u00e9".repeat(1050)) }, (v) => v, "bar");
    expect(over.status).toBe(400);
    expect(over.body.toString()).toContain("<Code>MetadataTooLarge</Code>");
    // Empty encoded-words stand for nothing, but what is stored stays bounded as sent.
    const padded = await s3Raw("PUT", s3Path(bucket, "words-empty"), { "x-amz-meta-m": Array(400).fill("=?UTF-8?B??=").join(" ") }, (v) => v, "bar");
    expect(padded.status).toBe(400);
    expect(padded.body.toString()).toContain("<Code>MetadataTooLarge</Code>");
  });

  it("a UTF-8 Content-Disposition is stored and answered byte for byte, as AWS does; its bound counts bytes", async () => {
    const disposition = 'attachment; filename="\u62a5\u544a \u20ac\u00e9.pdf"';
    await expectUtf8RoundTrip("disposition", "content-disposition", disposition);
    // 700 CJK characters are 2,100 bytes: over the 2048-byte bound.
    const long = await s3Raw("PUT", s3Path(bucket, "disposition-long"), { "content-disposition": `inline; filename="${"\u62a5".repeat(700)}"` }, utf8Bytes, "bar");
    expect(long.status).toBe(400);
    expect(long.body.toString()).toContain("<Code>InvalidArgument</Code>");
  });
});

describe("UFile X-Ufile-Meta-* with non-ASCII values", () => {
  it("UTF-8 bytes read back as the same bytes in X-Ufile-Meta-* and x-bce-meta-*, and the listing shows the text", async () => {
    const bucket = await newBucket();
    const put = await ufileRaw("PUT", bucket, "u.txt", { "X-Ufile-Meta-Note": utf8Bytes(TEXT) }, "abc");
    expect(put.status, put.body.toString()).toBe(200);
    const got = await ufileRaw("GET", bucket, "u.txt");
    expect(got.status).toBe(200);
    expect(bytesOf(got, "X-Ufile-Meta-Note").equals(Buffer.from(TEXT, "utf8"))).toBe(true);
    expect(bytesOf(got, "x-bce-meta-note").equals(Buffer.from(TEXT, "utf8"))).toBe(true);
    const list = await file(bucket, "", { query: "listobjects" });
    expect(list.status).toBe(200);
    expect(list.json().Contents[0].UserMeta).toEqual({ note: TEXT });
  });

  it("a Latin-1 byte is refused with -90001 and nothing is stored", async () => {
    const bucket = await newBucket();
    const put = await ufileRaw("PUT", bucket, "l.txt", { "X-Ufile-Meta-Note": "caf\u00e9" }, "abc");
    expect(put.status).toBe(400);
    expect(JSON.parse(put.body.toString()).RetCode).toBe(-90001);
    expect((await ufileRaw("HEAD", bucket, "l.txt")).status).toBe(404);
  });
});
