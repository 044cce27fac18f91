import { describe, expect, it } from "vitest";
import { checksumBase64, checksumFromHeaders, newChecksum, verifyingStream } from "../src/s3/checksums";
import { toBase64 } from "../src/crypto";
import { combineCrc, compositeChecksum, requestedUploadChecksum } from "../src/s3/stored-checksums";
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

  it("CRC64/NVME: the check value and ceph/s3-tests' value of 1024 'A's", async () => {
    // 0xAE8B14860A799888, CRC-64/NVME's standard check value.
    expect(await checksumBase64("crc64nvme", text("123456789"))).toBe("rosUhgp5mIg=");
    expect(await checksumBase64("crc64nvme", text("A".repeat(1024)))).toBe("Qeh8oXvGiSo=");
    expect(await checksumBase64("crc64nvme", new Uint8Array(0))).toBe("AAAAAAAAAAA=");
  });

  it("a whole object's CRC combines from its parts' CRCs and sizes, for every CRC", async () => {
    const data = crypto.getRandomValues(new Uint8Array(10_007));
    const cuts = [0, 4096, 4096, 8192, 10_007]; // an empty part included
    for (const algorithm of ["crc32", "crc32c", "crc64nvme"] as const) {
      const parts = [];
      for (let i = 1; i < cuts.length; i++) {
        const bytes = data.subarray(cuts[i - 1], cuts[i]);
        parts.push({ checksum: await checksumBase64(algorithm, bytes), size: bytes.byteLength });
      }
      expect(combineCrc(algorithm, parts)).toBe(await checksumBase64(algorithm, data));
    }
  });

  it("composite checksums as S3 computes them (ceph/s3-tests' values for three 5 MiB parts)", async () => {
    const parts = ["275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI=", "mrHwOfjTL5Zwfj74F05HOQGLdUb7E5szdCbxgUSq6NM=", "Vw7oB/nKQ5xWb3hNgbyfkvDiivl+U+/Dft48nfJfDow="];
    expect(await compositeChecksum("sha256", parts)).toBe("uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3");
    const crcParts = ["JRTCyQ==", "QoZTGg==", "YAgjqw=="].map((checksum) => ({ checksum, size: 5 * 1024 * 1024 }));
    expect(combineCrc("crc32", crcParts)).toBe("WgDhBQ==");
    const nvme = ["L/E4WYn8v98=", "xW1l19VobYM=", "cK5MnNaWrW4="].map((checksum) => ({ checksum, size: 5 * 1024 * 1024 }));
    expect(combineCrc("crc64nvme", nvme)).toBe("i+6LR0y3eFo=");
  });

  it("CreateMultipartUpload's algorithm and type follow S3's pairing rules", () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(requestedUploadChecksum(h({}))).toBeUndefined();
    expect(requestedUploadChecksum(h({ "x-amz-checksum-algorithm": "SHA256" }))).toEqual({ algorithm: "sha256", type: "COMPOSITE" });
    expect(requestedUploadChecksum(h({ "x-amz-checksum-algorithm": "CRC64NVME" }))).toEqual({ algorithm: "crc64nvme", type: "FULL_OBJECT" });
    expect(requestedUploadChecksum(h({ "x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "FULL_OBJECT" }))).toEqual({ algorithm: "crc32", type: "FULL_OBJECT" });
    expect(() => requestedUploadChecksum(h({ "x-amz-checksum-algorithm": "SHA1", "x-amz-checksum-type": "FULL_OBJECT" }))).toThrow(ApiError);
    expect(() => requestedUploadChecksum(h({ "x-amz-checksum-algorithm": "MD5" }))).toThrow(ApiError);
    expect(() => requestedUploadChecksum(h({ "x-amz-checksum-type": "COMPOSITE" }))).toThrow(ApiError);
  });
});
