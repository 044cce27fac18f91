import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { pattern } from "./client";
import { s3BucketName, s3Client, s3Failure } from "./s3-helpers";

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();
const crc32Base64 = (b: Uint8Array) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b));
  return out.toString("base64");
};

/**
 * Stored checksums over the wire with @aws-sdk/client-s3: a verified `x-amz-checksum-*` is kept
 * with the object and answered with `x-amz-checksum-mode: ENABLED`; a multipart upload keeps its
 * algorithm and type, checks its parts' checksums and gives the object S3's composite or
 * full-object checksum; `partNumber` reads serve one part; GetObjectAttributes answers from the index.
 */
describe("S3 stored checksums, partNumber reads and GetObjectAttributes", () => {
  const s3 = s3Client();
  const bucket = s3BucketName("ck");
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("PutObject keeps the verified checksum; HEAD/GET answer it only with ChecksumMode ENABLED", async () => {
    const body = Buffer.from("A".repeat(1024));
    const sum = sha256(body).toString("base64");
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "sha", Body: body, ChecksumSHA256: sum }));
    expect(put.ChecksumSHA256).toBe(sum);
    const plain = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sha" }));
    expect(plain.ChecksumSHA256).toBeUndefined();
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sha", ChecksumMode: "ENABLED" }));
    expect(head.ChecksumSHA256).toBe(sum);
    expect(head.ChecksumType).toBe("FULL_OBJECT");
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sha", ChecksumMode: "ENABLED" }));
    expect(got.ChecksumSHA256).toBe(sum);
    expect(await got.Body!.transformToString()).toBe(body.toString());
    // A byte range has no stored checksum.
    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sha", ChecksumMode: "ENABLED", Range: "bytes=0-9" }));
    expect(ranged.ChecksumSHA256).toBeUndefined();
    await ranged.Body!.transformToString();

    // CRC64/NVME (ceph/s3-tests' value for 1024 'A's), and a wrong one refused with nothing stored.
    const nvme = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "nvme", Body: body, ChecksumCRC64NVME: "Qeh8oXvGiSo=" }));
    expect(nvme.ChecksumCRC64NVME).toBe("Qeh8oXvGiSo=");
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "nvme", ChecksumMode: "ENABLED" }))).ChecksumCRC64NVME).toBe("Qeh8oXvGiSo=");
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "nvme2", Body: body, ChecksumCRC64NVME: "AAAAAAAAAAA=" })))).toMatchObject({ name: "BadDigest", status: 400 });
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "nvme2" })))).toMatchObject({ status: 404 });

    // Rewritten without a checksum, the key no longer answers one.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "sha", Body: "x", ChecksumAlgorithm: undefined }));
    const after = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sha", ChecksumMode: "ENABLED" }));
    expect(after.ChecksumSHA256).toBeUndefined();
  });

  it("a SHA-256 multipart upload: part checksums checked and listed, the composite checksum on the object and its parts", async () => {
    const parts = [pattern(5 * MiB, 1), pattern(1000, 2)];
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp-sha", ChecksumAlgorithm: "SHA256" }));
    expect(created.ChecksumAlgorithm).toBe("SHA256");
    const UploadId = created.UploadId!;
    const sums = parts.map((p) => sha256(p).toString("base64"));
    const etags: string[] = [];
    for (const [i, p] of parts.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp-sha", UploadId, PartNumber: i + 1, Body: p, ChecksumSHA256: sums[i] }));
      expect(r.ChecksumSHA256).toBe(sums[i]);
      etags.push(r.ETag!);
    }
    // A part with another algorithm than the upload's is refused.
    expect(await s3Failure(s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp-sha", UploadId, PartNumber: 3, Body: "x", ChecksumAlgorithm: "CRC32" })))).toMatchObject({ status: 400 });
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: "mp-sha", UploadId }));
    expect(listed.Parts!.map((p) => p.ChecksumSHA256)).toEqual(sums);

    const composite = `${sha256(Buffer.concat(sums.map((s) => Buffer.from(s, "base64")))).toString("base64")}-2`;
    const Parts = etags.map((ETag, i) => ({ ETag, PartNumber: i + 1, ChecksumSHA256: sums[i] }));
    // A wrong object checksum, or a part checksum that is not the part's, completes nothing.
    expect(await s3Failure(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp-sha", UploadId, ChecksumSHA256: `${sums[0]}-2`, MultipartUpload: { Parts } })))).toMatchObject({ name: "BadDigest", status: 400 });
    const wrongPart = Parts.map((p, i) => (i === 0 ? { ...p, ChecksumSHA256: sums[1] } : p));
    expect(await s3Failure(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp-sha", UploadId, MultipartUpload: { Parts: wrongPart } })))).toMatchObject({ name: "InvalidPart", status: 400 });

    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp-sha", UploadId, ChecksumSHA256: composite, MultipartUpload: { Parts } }));
    expect(done.ChecksumSHA256).toBe(composite);
    expect(done.ChecksumType).toBe("COMPOSITE");
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "mp-sha", ChecksumMode: "ENABLED" }));
    expect(head.ChecksumSHA256).toBe(composite);
    expect(head.ChecksumType).toBe("COMPOSITE");

    // partNumber: each part's bytes, the part count, the part's checksum.
    for (const [i, p] of parts.entries()) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp-sha", PartNumber: i + 1, ChecksumMode: "ENABLED" }));
      expect(got.$metadata.httpStatusCode).toBe(206);
      expect(got.PartsCount).toBe(2);
      expect(got.ContentLength).toBe(p.byteLength);
      expect(got.ContentRange).toBe(`bytes ${i * 5 * MiB}-${i * 5 * MiB + p.byteLength - 1}/${5 * MiB + 1000}`);
      expect(got.ChecksumSHA256).toBe(sums[i]);
      expect(got.ETag).toBe(done.ETag);
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(p))).toBe(true);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "mp-sha", PartNumber: i + 1 }));
      expect(head.PartsCount).toBe(2);
      expect(head.ContentLength).toBe(p.byteLength);
    }
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp-sha", PartNumber: 3 })))).toMatchObject({ name: "InvalidPartNumber", status: 416 });
  });

  it("a CRC32 full-object upload: the whole object's CRC, combined from the parts' (one copied with UploadPartCopy)", async () => {
    const first = pattern(5 * MiB, 3);
    const second = pattern(4321, 4);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: second }));
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp-crc", ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT" }));
    expect(created.ChecksumType).toBe("FULL_OBJECT");
    const UploadId = created.UploadId!;
    // Sent without a checksum, the part's CRC32 is computed and kept.
    const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp-crc", UploadId, PartNumber: 1, Body: first, ChecksumAlgorithm: "CRC32" }));
    expect(p1.ChecksumCRC32).toBe(crc32Base64(first));
    const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "mp-crc", UploadId, PartNumber: 2, CopySource: `${bucket}/src` }));
    expect(p2.CopyPartResult!.ChecksumCRC32).toBe(crc32Base64(second));
    const whole = crc32Base64(Buffer.concat([first, second]));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket, Key: "mp-crc", UploadId,
        MultipartUpload: { Parts: [{ ETag: p1.ETag, PartNumber: 1 }, { ETag: p2.CopyPartResult!.ETag, PartNumber: 2 }] },
      }),
    );
    expect(done.ChecksumCRC32).toBe(whole);
    expect(done.ChecksumType).toBe("FULL_OBJECT");
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp-crc", ChecksumMode: "ENABLED" }));
    expect(got.ChecksumCRC32).toBe(whole);
    expect((await got.Body!.transformToByteArray()).byteLength).toBe(5 * MiB + 4321);
  });

  it("partNumber on a single-part object: 1 is the whole object, 2 is 416 InvalidPartNumber; with a Range it is refused", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "single", Body: "body" }));
    const one = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "single", PartNumber: 1 }));
    expect(one.$metadata.httpStatusCode).toBe(200);
    expect(one.PartsCount).toBeUndefined();
    expect(await one.Body!.transformToString()).toBe("body");
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "single", PartNumber: 2 })))).toMatchObject({ name: "InvalidPartNumber", status: 416 });
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "single", PartNumber: 2 })))).toMatchObject({ status: 416 });
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "single", PartNumber: 0 })))).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "single", PartNumber: 1, Range: "bytes=0-1" })))).toMatchObject({ name: "InvalidRequest", status: 400 });
  });

  it("GetObjectAttributes: what x-amz-object-attributes names, parts of a multipart object paged", async () => {
    const attrs = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"] as const;
    const body = Buffer.from("A".repeat(1024));
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "attr", Body: body, ChecksumSHA256: sha256(body).toString("base64"), StorageClass: "STANDARD_IA" }));
    const single = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "attr", ObjectAttributes: [...attrs] }));
    expect(single).toMatchObject({ ETag: put.ETag!.replace(/"/g, ""), ObjectSize: 1024, StorageClass: "STANDARD_IA" });
    expect(single.Checksum).toMatchObject({ ChecksumSHA256: sha256(body).toString("base64"), ChecksumType: "FULL_OBJECT" });
    expect(single.ObjectParts).toBeUndefined();
    expect(single.LastModified).toBeInstanceOf(Date);
    const some = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "attr", ObjectAttributes: ["ObjectSize"] }));
    expect(some.ObjectSize).toBe(1024);
    expect(some.ETag).toBeUndefined();

    // The SHA-256 multipart object of the test above: two parts, paged one at a time.
    const first = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "mp-sha", ObjectAttributes: [...attrs], MaxParts: 1 }));
    expect(first.ObjectParts).toMatchObject({ TotalPartsCount: 2, MaxParts: 1, IsTruncated: true, NextPartNumberMarker: "1" });
    expect(first.ObjectParts!.Parts).toEqual([{ PartNumber: 1, Size: 5 * MiB, ChecksumSHA256: sha256(pattern(5 * MiB, 1)).toString("base64") }]);
    expect(first.Checksum!.ChecksumType).toBe("COMPOSITE");
    const rest = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "mp-sha", ObjectAttributes: ["ObjectParts"], PartNumberMarker: "1" }));
    expect(rest.ObjectParts).toMatchObject({ TotalPartsCount: 2, IsTruncated: false, PartNumberMarker: "1" });
    expect(rest.ObjectParts!.Parts!.map((p) => [p.PartNumber, p.Size])).toEqual([[2, 1000]]);

    expect(await s3Failure(s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "missing", ObjectAttributes: ["ETag"] })))).toMatchObject({ name: "NoSuchKey", status: 404 });
    expect(await s3Failure(s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "attr", ObjectAttributes: ["Bogus" as "ETag"] })))).toMatchObject({ name: "InvalidArgument", status: 400 });
  });
});
