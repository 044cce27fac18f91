import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors";
import { checksumBase64 } from "../src/s3/checksums";
import { decodeAwsChunked, STREAMING_SIGNED, STREAMING_UNSIGNED_TRAILER, type ChunkSigning } from "../src/s3/chunked";
import { signingKey } from "../src/s3/sigv4";

const enc = new TextEncoder();
const concat = (...parts: (string | Uint8Array)[]) => {
  const bytes = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
};

/** A stream delivering `bytes` in pieces of `piece` bytes (framing split anywhere). */
const streamOf = (bytes: Uint8Array, piece = 1000) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += piece) c.enqueue(bytes.slice(i, i + piece));
      c.close();
    },
  });

async function decode(body: Uint8Array, opts: Parameters<typeof decodeAwsChunked>[1], piece?: number): Promise<Uint8Array | string> {
  try {
    return new Uint8Array(await new Response(decodeAwsChunked(streamOf(body, piece), opts)).arrayBuffer());
  } catch (err) {
    return err instanceof ApiError ? err.name : String(err);
  }
}

/** AWS's chunked-upload example: 65536 + 1024 bytes of 'a' in 64 KiB chunks. */
async function awsExample() {
  const signing: ChunkSigning = {
    signingKey: await signingKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"),
    amzDate: "20130524T000000Z",
    scope: "20130524/us-east-1/s3/aws4_request",
    seedSignature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
  };
  const a = (n: number) => new Uint8Array(n).fill(97);
  const body = concat(
    "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n", a(65536), "\r\n",
    "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n", a(1024), "\r\n",
    "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
  );
  return { signing, body };
}

describe("aws-chunked, signed (AWS example)", () => {
  it("decodes the example and verifies the chained signatures (66824 bytes on the wire → 66560)", async () => {
    const { signing, body } = await awsExample();
    expect(body.byteLength).toBe(66824);
    for (const piece of [1, 7, 4096, 100_000]) {
      const out = await decode(body, { mode: STREAMING_SIGNED, decodedLength: 66560, signing }, piece === 1 ? 997 : piece);
      expect(out).toBeInstanceOf(Uint8Array);
      expect((out as Uint8Array).byteLength).toBe(66560);
      expect((out as Uint8Array).every((b) => b === 97)).toBe(true);
    }
  });

  it("one flipped data byte, a wrong seed, a reordered chunk or a short length all fail", async () => {
    const { signing, body } = await awsExample();
    const flipped = body.slice();
    flipped[200] = 98;
    expect(await decode(flipped, { mode: STREAMING_SIGNED, decodedLength: 66560, signing })).toBe("SignatureDoesNotMatch");
    expect(await decode(body, { mode: STREAMING_SIGNED, decodedLength: 66560, signing: { ...signing, seedSignature: "0".repeat(64) } })).toBe("SignatureDoesNotMatch");
    expect(await decode(body, { mode: STREAMING_SIGNED, decodedLength: 66559, signing })).toBe("IncompleteBody");
    expect(await decode(body, { mode: STREAMING_SIGNED, decodedLength: 70000, signing })).toBe("IncompleteBody");
    expect(await decode(body.slice(0, 66000), { mode: STREAMING_SIGNED, decodedLength: 66560, signing })).toBe("IncompleteBody");
  });
});

describe("aws-chunked, unsigned with a checksum trailer", () => {
  const data = enc.encode("hello world, ".repeat(1000));
  const frame = (trailer: string, chunk = 8192) => {
    const parts: (string | Uint8Array)[] = [];
    for (let i = 0; i < data.length; i += chunk) {
      const piece = data.subarray(i, i + chunk);
      parts.push(`${piece.byteLength.toString(16)}\r\n`, piece, "\r\n");
    }
    parts.push("0\r\n", trailer, "\r\n\r\n");
    return concat(...parts);
  };

  it("every checksum algorithm verifies", async () => {
    for (const algorithm of ["crc32", "crc32c", "sha1", "sha256"] as const) {
      let echoed = "";
      const value = await checksumBase64(algorithm, data);
      const out = await decode(frame(`x-amz-checksum-${algorithm}:${value}`), {
        mode: STREAMING_UNSIGNED_TRAILER,
        decodedLength: data.length,
        trailer: algorithm,
        onChecksum: (_a, v) => (echoed = v),
      }, 333);
      expect(out).toEqual(data);
      expect(echoed).toBe(value);
    }
  });

  it("a wrong or missing checksum fails (BadDigest / InvalidRequest)", async () => {
    const opts = { mode: STREAMING_UNSIGNED_TRAILER, decodedLength: data.length, trailer: "crc32" } as const;
    expect(await decode(frame("x-amz-checksum-crc32:AAAAAA=="), opts)).toBe("BadDigest");
    expect(await decode(frame("x-amz-meta-x:1"), opts)).toBe("InvalidRequest");
  });

  it("malformed framing fails as IncompleteBody", async () => {
    const opts = { mode: STREAMING_UNSIGNED_TRAILER, decodedLength: 5 } as const;
    expect(await decode(enc.encode("zz\r\nhello\r\n0\r\n\r\n"), opts)).toBe("IncompleteBody");
    expect(await decode(enc.encode("5\r\nhelloXX0\r\n\r\n"), opts)).toBe("IncompleteBody");
    expect(await decode(enc.encode("5\r\nhello\r\n"), opts)).toBe("IncompleteBody");
    expect(await decode(enc.encode("5\r\nhello\r\n0\r\n\r\n"), opts)).toEqual(enc.encode("hello"));
    expect(await decode(enc.encode("9".repeat(5000) + "\r\n"), opts)).toBe("IncompleteBody");
  });
});
