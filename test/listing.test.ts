import { beforeAll, describe, expect, it } from "vitest";
import { compareKeys } from "../src/store/objects";
import { authorization, call, file, fileUrl, newBucket, put } from "./helpers";

/** PrefixFileList (`?list`) and ListObjects (`?listobjects`): docs/protocol.md §5.10. */

const list = async (b: string, query: string) => {
  const res = await file(b, "", { query, signedKey: "" });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toBe("application/json");
  return (await res.json()) as any;
};

let b: string;
const KEYS = ["a/1", "a/2", "a/b/3", "a/b/4", "a/c/5", "a/", "ab", "b", "z/é", "z/😀", "z/~"];

beforeAll(async () => {
  b = await newBucket();
  for (const key of KEYS) await put(b, key, `content of ${key}`, { "X-Ufile-Meta-Tag": key.length > 2 ? "long" : "short" });
});

describe("key order", () => {
  it("compareKeys orders keys as SQLite does (UTF-8 bytes), where JavaScript's < (UTF-16 units) differs", () => {
    const keys = ["z/😀", "z/\uFFFD", "z/\uE000", "z/é", "z/~", "z/", "z", "", "z/😀a", "z/\u{10FFFF}"];
    const bytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareKeys)).toEqual(bytes);
    expect([...keys].sort()).not.toEqual(bytes);
    expect(compareKeys("z/😀", "z/😀")).toBe(0);
  });
});

describe("PrefixFileList", () => {
  it("lists by prefix in UTF-8 byte order with the spec's fields and types", async () => {
    const body = await list(b, "list&prefix=z%2F");
    expect(body.BucketName).toBe(b);
    expect(body.BucketId).toMatch(/^oss-/);
    expect(body.NextMarker).toBe("");
    expect(body.DataSet.map((d: any) => d.FileName)).toEqual(["z/~", "z/é", "z/😀"]);
    const item = body.DataSet[0];
    expect(item).toEqual({
      BucketName: b,
      FileName: "z/~",
      Hash: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      MimeType: "text/plain",
      Size: "content of z/~".length,
      CreateTime: expect.any(Number),
      ModifyTime: expect.any(Number),
      StorageClass: "STANDARD",
      RestoreStatus: "",
    });
  });

  it("pages with limit and marker until NextMarker is empty (as the Python SDK loops)", async () => {
    const seen: string[] = [];
    let marker = "";
    for (let page = 0; page < 10; page++) {
      const body = await list(b, `list&limit=3&marker=${encodeURIComponent(marker)}`);
      seen.push(...body.DataSet.map((d: any) => d.FileName));
      if (body.NextMarker === "") break;
      expect(body.DataSet).toHaveLength(3);
      marker = body.NextMarker;
    }
    expect(seen).toEqual([...KEYS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
  });

  it("default limit 20; a bad limit → 400", async () => {
    const c = await newBucket();
    for (let i = 0; i < 22; i++) await put(c, `k${String(i).padStart(2, "0")}`, "x");
    const body = await list(c, "list");
    expect(body.DataSet).toHaveLength(20);
    expect(body.NextMarker).toBe("k19");
    const bad = await file(c, "", { query: "list&limit=abc", signedKey: "" });
    expect(bad.status).toBe(400);
  });

  it("needs a signature over /bucket/", async () => {
    const res = await call(fileUrl(b, "", "list"), { headers: { Authorization: await authorization("GET", b, "a/1") } });
    expect(res.status).toBe(403);
  });
});

describe("ListObjects", () => {
  it("flat listing: string-typed MaxKeys and Size, Contents, CommonPrefixes and NextMarker always present", async () => {
    const body = await list(b, "listobjects&prefix=a%2Fb%2F");
    expect(body).toEqual({
      Name: b,
      Prefix: "a/b/",
      MaxKeys: "100",
      Delimiter: "",
      IsTruncated: false,
      NextMarker: "",
      Contents: [
        {
          Key: "a/b/3",
          MimeType: "text/plain",
          ETag: expect.any(String),
          Size: String("content of a/b/3".length),
          StorageClass: "STANDARD",
          LastModified: expect.any(Number),
          CreateTime: expect.any(Number),
          UserMeta: { tag: "long" },
        },
        expect.objectContaining({ Key: "a/b/4" }),
      ],
      CommonPrefixes: [],
    });
  });

  it("directory view with delimiter /: common prefixes, the prefix key itself not listed", async () => {
    const body = await list(b, "listobjects&prefix=a%2F&delimiter=%2F");
    expect(body.Contents.map((c: any) => c.Key)).toEqual(["a/1", "a/2"]);
    expect(body.CommonPrefixes).toEqual([{ Prefix: "a/b/" }, { Prefix: "a/c/" }]);
    const root = await list(b, "listobjects&delimiter=%2F");
    expect(root.Contents.map((c: any) => c.Key)).toEqual(["ab", "b"]);
    expect(root.CommonPrefixes.map((p: any) => p.Prefix)).toEqual(["a/", "z/"]);
  });

  it("pages through keys and common prefixes with max-keys and NextMarker", async () => {
    const entries: string[] = [];
    let marker = "";
    for (let page = 0; page < 10; page++) {
      const body = await list(b, `listobjects&delimiter=%2F&prefix=a%2F&max-keys=1&marker=${encodeURIComponent(marker)}`);
      entries.push(...body.Contents.map((c: any) => c.Key), ...body.CommonPrefixes.map((p: any) => p.Prefix));
      if (!body.IsTruncated) break;
      marker = body.NextMarker;
    }
    expect(entries).toEqual(["a/1", "a/2", "a/b/", "a/c/"]);
  });

  it("Python's signature (variant D) is accepted", async () => {
    const { hmacSha1Base64 } = await import("../src/signing.mjs");
    const { PRIVATE_KEY, PUBLIC_KEY } = await import("./helpers");
    const s = `GET\n\n\n\n/${b}/\nlistobjects\ndelimiter:/\nmarker:\nmax-keys:100\nprefix:a/`;
    const res = await call(fileUrl(b, "", "listobjects&prefix=a%2F&delimiter=%2F&max-keys=100&marker="), {
      headers: { Authorization: `UCloud ${PUBLIC_KEY}:${await hmacSha1Base64(PRIVATE_KEY, s)}` },
    });
    expect(res.status).toBe(200);
  });

  it("bad delimiter or max-keys → 400", async () => {
    expect((await file(b, "", { query: "listobjects&delimiter=%7C", signedKey: "" })).status).toBe(400);
    expect((await file(b, "", { query: "listobjects&max-keys=1001", signedKey: "" })).status).toBe(400);
  });
});
