import { describe, expect, it } from "vitest";
import { checksumBase64, checksumFromHeaders, newChecksum, verifyingStream } from "../src/s3/checksums";
import { toBase64 } from "../src/crypto";
import { ApiError } from "../src/errors";

const text = (s: string) => new TextEncoder().encode(s);

describe("checksums", () => {
  it("CRC32 and CRC32C check values (\"123456789\") and empty input", async () => {
    // 0xCBF43926 and 0xE3069283, the standard check values, base64 of the big-endian bytes.
    expect(await checksumBase64("crc32", text("123456789"))).toBe("y/Q5Jg==");
    expect(await checksumBase64("crc32c", text("123456789"))).toBe("4waSgw==");
    expect(await checksumBase64("crc32", new Uint8Array(0))).toBe("AAAAAA==");
    expect(await checksumBase64("crc32c", new Uint8Array(0))).toBe("AAAAAA==");
  });

  it("SHA-1 and SHA-256 as base64", async () => {
    expect(await checksumBase64("sha1", text("abc"))).toBe("qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
    expect(await checksumBase64("sha256", text("abc"))).toBe("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  });

  it("slicing-by-8 agrees with byte-at-a-time, and a stream split at odd places verifies", async () => {
    const data = crypto.getRandomValues(new Uint8Array(60_003));
    for (const algorithm of ["crc32", "crc32c"] as const) {
      const whole = await checksumBase64(algorithm, data);
      const bytewise = newChecksum(algorithm);
      for (let i = 0; i < data.length; i++) await bytewise.update(data.subarray(i, i + 1));
      expect(toBase64(await bytewise.digest())).toBe(whole);
      const s = verifyingStream(algorithm, () => whole);
      const writer = s.writable.getWriter();
      const read = new Response(s.readable).arrayBuffer();
      for (let i = 0; i < data.length; i += 777) await writer.write(data.subarray(i, i + 777));
      await writer.close();
      expect((await read).byteLength).toBe(data.length);
    }
  });

  it("a mismatch errors the stream before it ends (BadDigest)", async () => {
    const s = verifyingStream("crc32", () => "AAAAAA==");
    const writer = s.writable.getWriter();
    const read = new Response(s.readable).arrayBuffer().catch((e: unknown) => e);
    await writer.write(text("hello")).catch(() => undefined);
    await writer.close().catch(() => undefined);
    const err = await read;
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).name).toBe("BadDigest");
  });

  it("headers: one checksum at most, well-formed", () => {
    expect(checksumFromHeaders(new Headers({ "x-amz-checksum-crc32": "y/Q5Jg==" }))).toEqual({ algorithm: "crc32", value: "y/Q5Jg==" });
    expect(() => checksumFromHeaders(new Headers({ "x-amz-checksum-crc32": "nope" }))).toThrow(ApiError);
    expect(() => checksumFromHeaders(new Headers({ "x-amz-checksum-crc32": "y/Q5Jg==", "x-amz-checksum-sha1": "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=" }))).toThrow(ApiError);
    expect(checksumFromHeaders(new Headers())).toBeUndefined();
  });
});
