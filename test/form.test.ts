import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../src/crypto";
import { FIELD_LIMIT, boundaryOf, parseHeaderParams, parseUploadForm } from "../src/core/form";
import { ApiError } from "../src/errors";
import { bytes, field, goBody as sdkGoBody, pythonBody as sdkPythonBody } from "./sdk-forms";

/** A body stream that cuts `data` into chunks of `sizeAt(offset)` bytes (each chunk its own copy). */
function streamOf(data: Uint8Array, sizeAt: (offset: number) => number = () => data.length): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (off >= data.length) return controller.close();
      const n = Math.max(1, sizeAt(off));
      controller.enqueue(data.slice(off, off + n));
      off += n;
    },
  });
}

/** Chunk sizes at explicit cut offsets. */
const cutsAt = (cuts: number[]) => (offset: number) => (cuts.find((c) => c > offset) ?? Infinity) - offset;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function expectMalformed(p: Promise<unknown>, detail: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).entry.code).toBe(-90011);
  expect((err as ApiError).entry.status).toBe(400);
  expect((err as ApiError).message).toMatch(detail);
}


/** Byte i = a cheap pseudo-random function of i, so misplaced bytes show. */
function noise(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const B = "5c8b8f1e2a7d4e8fa3b2c1d0e9f8a7b6"; // an md5-hex boundary, as Python and Go make them
const CT = `multipart/form-data; boundary=${B}`;
const AUTH = "UCloud ucloudsomeone@example.com1296235120854146120:Xa4ZkH3qZ8mY0u4cH2XjYV0s1q8=";

const pythonBody = (key: string, content: Uint8Array, mime?: string, path?: string) => sdkPythonBody(B, key, AUTH, content, mime, path);
const goBody = (key: string, content: Uint8Array, mime?: string) => sdkGoBody(B, key, AUTH, content, mime);

describe("boundary and header parameters", () => {
  it.each([
    [`multipart/form-data; boundary=${B}`, B],
    [`multipart/form-data;boundary="quoted boundary:1"`, "quoted boundary:1"],
    [`Multipart/Form-Data; charset=utf-8; BOUNDARY=----WebKitFormBoundaryx7Y; x=1`, "----WebKitFormBoundaryx7Y"],
  ])("%s", (ct, boundary) => expect(boundaryOf(ct)).toBe(boundary));

  it.each(["multipart/form-data", "multipart/form-data; boundary=", 'multipart/form-data; boundary=""', "application/octet-stream", ""])(
    "no boundary in %j → MalformedForm",
    (ct) => expectMalformed(parseUploadForm(streamOf(goBody("k", utf8("x"))), ct), /no multipart boundary/),
  );

  it("parses quoted and unquoted parameters, case-insensitive names, raw backslashes, ';' inside quotes", () => {
    const { value, params } = parseHeaderParams('form-data; NAME=file; filename="C:\\dir\\a;b.txt"; flag; x = "y"');
    expect(value).toBe("form-data");
    expect([...params]).toEqual([["name", "file"], ["filename", "C:\\dir\\a;b.txt"], ["x", "y"]]);
  });
});

describe("SDK bodies", () => {
  it("Python: FileName, Authorization, file with its Content-Type; ends `\\r\\n--B\\r\\n` without a close", async () => {
    const content = utf8("hello ufile\n");
    const form = await parseUploadForm(streamOf(pythonBody("dir/a.txt", content)), CT);
    expect([...form.fields]).toEqual([["FileName", "dir/a.txt"], ["Authorization", AUTH]]);
    expect(form.file.filename).toBe("/tmp/local file.txt");
    expect(form.file.contentType).toBe("text/plain");
    expect(toHex(await readAll(form.file.stream))).toBe(toHex(content));
    expect(await form.rest()).toEqual(new Map());
  });

  it("Go: Authorization, Content-Type, FileName, Content-MD5, file; ends with an empty header-less part and the close", async () => {
    const content = noise(10_000);
    const form = await parseUploadForm(streamOf(goBody("photos/p.png", content)), CT);
    expect([...form.fields]).toEqual([
      ["Authorization", AUTH],
      ["Content-Type", "image/png"],
      ["FileName", "photos/p.png"],
      ["Content-MD5", "d41d8cd98f00b204e9800998ecf8427e"],
    ]);
    expect(form.file.filename).toBe("photos/p.png");
    expect(form.file.contentType).toBe("image/png");
    expect(toHex(await readAll(form.file.stream))).toBe(toHex(content));
    expect(await form.rest()).toEqual(new Map());
  });

  it("a well-formed body (new Response(formData)), with a field after the file for rest()", async () => {
    const content = noise(70_000, 7);
    const fd = new FormData();
    fd.append("Authorization", AUTH);
    fd.append("FileName", "目录/文件 1.bin");
    fd.append("file", new File([content], "文件 1.bin", { type: "application/x-thing" }));
    fd.append("After", "tail value");
    const res = new Response(fd);
    const form = await parseUploadForm(res.body!, res.headers.get("Content-Type")!);
    expect(form.fields.get("FileName")).toBe("目录/文件 1.bin");
    expect(form.fields.get("Authorization")).toBe(AUTH);
    expect(form.file.contentType).toBe("application/x-thing");
    expect(form.file.filename).toBe("文件 1.bin");
    const [got, rest] = await Promise.all([readAll(form.file.stream), form.rest()]);
    expect(toHex(got)).toBe(toHex(content));
    expect([...rest]).toEqual([["After", "tail value"]]);
  });

  it("a quoted boundary, a preamble, unnamed parts, odd header case, duplicate fields, an empty file", async () => {
    const b = "outer boundary:42";
    const body = bytes(
      "This is the preamble.\r\n",
      `--${b}\r\n`, field("FileName", "first"),
      `--${b}\r\n`, "Content-Type: text/plain\r\n\r\nno name here\r\n",
      `--${b}\r\n`, "\r\nno headers at all\r\n",
      `--${b}\r\n`, field("FileName", "second"),
      `--${b}  \r\n`, "content-disposition: form-data; Name=file; FILENAME=e.txt\r\nCONTENT-TYPE: text/csv\r\n\r\n",
      `\r\n--${b}--\r\nepilogue`,
    );
    const form = await parseUploadForm(streamOf(body), `multipart/form-data; boundary="${b}"`);
    expect([...form.fields]).toEqual([["FileName", "first"]]);
    expect(form.file.filename).toBe("e.txt");
    expect(form.file.contentType).toBe("text/csv");
    expect((await readAll(form.file.stream)).length).toBe(0);
    expect(await form.rest()).toEqual(new Map());
  });
  it("Go's empty header-less part (its delimiter without a CRLF of its own) does not swallow a later part", async () => {
    const body = bytes(pythonBody("k", utf8("data")), `\r\n--${B}\r\n`, field("After", "x"), `--${B}--\r\n`);
    const form = await parseUploadForm(streamOf(body), CT);
    const [got, rest] = await Promise.all([readAll(form.file.stream), form.rest()]);
    expect(new TextDecoder().decode(got)).toBe("data");
    expect([...rest]).toEqual([["After", "x"]]);
  });
});

describe("file content", () => {
  // Near-delimiters: every prefix of `\r\n--B`, the boundary without its CRLF, a CRLF ending the file.
  const delimiter = `\r\n--${B}`;
  const tricky = bytes(
    "start\r\n--\r\n",
    ...Array.from({ length: delimiter.length - 1 }, (_, k) => `${delimiter.slice(0, k + 1)}|`),
    `--${B}\r\n`,
    `\n--${B}\r\n`,
    `\r--${B}--\r\n`,
    `\r\n-${B}`,
    `\r\n--${B.slice(1)}`,
    "\r\n\r\n",
  );

  it.each([
    ["Python", pythonBody],
    ["Go", goBody],
  ] as const)("%s body: content full of near-delimiters, and ending in CRLF, comes back byte for byte", async (_sdk, make) => {
    const form = await parseUploadForm(streamOf(make("k", tricky)), CT);
    expect(toHex(await readAll(form.file.stream))).toBe(toHex(tricky));
  });

  it("every two-chunk split of a body gives the same file and fields", async () => {
    const body = pythonBody("k", tricky);
    for (let cut = 1; cut < body.length; cut++) {
      const form = await parseUploadForm(streamOf(body, cutsAt([cut])), CT);
      expect(form.fields.get("FileName")).toBe("k");
      expect(toHex(await readAll(form.file.stream)), `cut at ${cut}`).toBe(toHex(tricky));
      expect(await form.rest()).toEqual(new Map());
    }
  });

  it("1-byte chunks throughout", async () => {
    const form = await parseUploadForm(streamOf(goBody("k", tricky), () => 1), CT);
    expect(form.fields.get("FileName")).toBe("k");
    expect(toHex(await readAll(form.file.stream))).toBe(toHex(tricky));
    expect(await form.rest()).toEqual(new Map());
  });

  it("a delimiter split across a small tail and a large next chunk (the seam search), with a large field after the file", async () => {
    const content = bytes(noise(20_000, 3), tricky);
    const after = "v".repeat(6000);
    const body = bytes(goBody("k", content).subarray(0, -`\r\n--${B}--\r\n`.length), field("After", after), `--${B}--\r\n`);
    const fileEnd = goBody("k", content).length - `\r\n--${B}\r\n\r\n--${B}--\r\n`.length;
    expect(toHex(body.subarray(fileEnd, fileEnd + delimiter.length))).toBe(toHex(utf8(delimiter)));
    for (let cut = fileEnd - 50; cut <= fileEnd + delimiter.length + 3; cut++) {
      // a 1-byte chunk just before `cut` leaves a short tail; the chunk from `cut` on is large
      const form = await parseUploadForm(streamOf(body, cutsAt([10_000, cut - 1, cut])), CT);
      const [got, rest] = await Promise.all([readAll(form.file.stream), form.rest()]);
      expect(toHex(got), `cut at ${cut}`).toBe(toHex(content));
      expect(rest.get("After")).toBe(after);
    }
  });

  it("a multi-MiB file in large chunks with 1- and 3-byte chunks around the file's start and end", async () => {
    const content = noise(3 * 1024 * 1024 + 17, 11);
    const body = goBody("big", content);
    const fileStart = body.length - content.length - `\r\n--${B}\r\n\r\n--${B}--\r\n`.length;
    const fileEnd = fileStart + content.length;
    // 1- and 3-byte chunks within 300 bytes of either end of the file, 64 KiB-ish chunks elsewhere
    const regions = [fileStart - 300, fileEnd - 300];
    let small = 0;
    const sizeAt = (off: number): number => {
      if (regions.some((r) => off >= r && off < r + 600)) return small++ % 2 === 0 ? 1 : 3;
      const next = regions.find((r) => r > off);
      return Math.min(65_537, next === undefined ? Infinity : next - off);
    };
    const form = await parseUploadForm(streamOf(body, sizeAt), CT);
    const got = await readAll(form.file.stream);
    expect(got.length).toBe(content.length);
    expect(toHex(await crypto.subtle.digest("SHA-1", got))).toBe(toHex(await crypto.subtle.digest("SHA-1", content)));
    expect(await form.rest()).toEqual(new Map());
  });

  it("random chunk sizes (1 B to 9 KiB, across the small-chunk threshold)", async () => {
    const content = bytes(noise(200_000, 5), tricky, noise(50_000, 6), tricky);
    const body = pythonBody("k", content);
    const sizes = noise(4096, 99);
    let i = 0;
    const form = await parseUploadForm(streamOf(body, () => 1 + ((sizes[i++ % sizes.length] * 37) % 9000)), CT);
    expect(toHex(await crypto.subtle.digest("SHA-1", await readAll(form.file.stream)))).toBe(
      toHex(await crypto.subtle.digest("SHA-1", content)),
    );
  });

  it("a file part running to the end of input loses exactly one trailing CRLF", async () => {
    const head = `--${B}\r\n${field("FileName", "k")}--${B}\r\nContent-Disposition: form-data; name="file"\r\n\r\n`;
    for (const [tail, expected] of [["abc\r\n\r\n", "abc\r\n"], ["abc\r\n", "abc"], ["abc", "abc"], ["", ""]]) {
      const form = await parseUploadForm(streamOf(bytes(head, tail), () => 2), CT);
      expect(new TextDecoder().decode(await readAll(form.file.stream))).toBe(expected);
      expect(form.file.filename).toBeNull();
      expect(form.file.contentType).toBeNull();
    }
  });
});

describe("malformed forms (-90011)", () => {
  it("no file part", async () => {
    const body = bytes(`--${B}\r\n`, field("FileName", "k"), `--${B}\r\n`, field("Authorization", AUTH), `--${B}--\r\n`);
    await expectMalformed(parseUploadForm(streamOf(body), CT), /no part named "file"/);
  });

  it("a body without any delimiter", async () => {
    await expectMalformed(parseUploadForm(streamOf(utf8("just some bytes\r\n")), CT), /no boundary delimiter/);
    await expectMalformed(parseUploadForm(streamOf(new Uint8Array(0)), CT), /no boundary delimiter/);
  });

  it("a field larger than 64 KiB", async () => {
    const body = bytes(`--${B}\r\n`, field("FileName", "k".repeat(FIELD_LIMIT + 1)), `--${B}\r\n`);
    await expectMalformed(parseUploadForm(streamOf(body, () => 10_000), CT), /field "FileName" is larger than 65536 bytes/);
    // exactly at the limit is fine
    const ok = pythonBody("k".repeat(FIELD_LIMIT), utf8("x"));
    expect((await parseUploadForm(streamOf(ok), CT)).fields.get("FileName")).toHaveLength(FIELD_LIMIT);
  });

  it("more than 256 KiB of fields before the file", async () => {
    const big = "v".repeat(60_000);
    const body = bytes(...[1, 2, 3, 4, 5].map((i) => `--${B}\r\n${field(`F${i}`, big)}`), pythonBody("k", utf8("x")));
    await expectMalformed(parseUploadForm(streamOf(body, () => 8192), CT), /more than 262144 bytes of form data before the file part/);
  });

  it("part headers that never end", async () => {
    const body = bytes(`--${B}\r\nContent-Disposition: form-data; name="file"\r\n`);
    await expectMalformed(parseUploadForm(streamOf(body), CT), /ends inside a part's headers/);
  });

  it("the boundary inside the file content errors the file stream instead of truncating it; rest() rejects", async () => {
    const form = await parseUploadForm(streamOf(pythonBody("k", utf8(`abc\r\n--${B}X more`))), CT);
    await expectMalformed(readAll(form.file.stream), /unexpected bytes/);
    await expectMalformed(form.rest(), /unexpected bytes/);
  });
});

describe("file stream lifecycle", () => {
  it("cancelling the file stream cancels the body and rejects rest()", async () => {
    let cancelled: unknown = null;
    const body = pythonBody("k", noise(100_000));
    let off = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        if (off >= body.length) return c.close();
        c.enqueue(body.slice(off, off + 1000));
        off += 1000;
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const form = await parseUploadForm(source, CT);
    const reader = form.file.stream.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel("stop");
    expect(cancelled).toBe("stop");
    await expect(form.rest()).rejects.toThrow(/cancelled/);
  });

  it("reads the body lazily: nothing past the file headers is pulled until the stream is read", async () => {
    const body = pythonBody("k", noise(50_000));
    let pulled = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (pulled >= body.length) return c.close();
          c.enqueue(body.slice(pulled, pulled + 4096));
          pulled += 4096;
        },
      },
      { highWaterMark: 0 },
    );
    const form = await parseUploadForm(source, CT);
    const afterParse = pulled;
    expect(afterParse).toBeLessThan(body.length);
    await new Promise((r) => setTimeout(r, 10));
    expect(pulled).toBe(afterParse);
    expect((await readAll(form.file.stream)).length).toBe(50_000);
  });
});
