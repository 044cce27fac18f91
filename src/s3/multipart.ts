import { toHex } from "../crypto";
import { ApiError } from "../errors";
import { assertValidKey } from "../core/keys";
import { abortUpload, completeBlob, createUpload, storePart, windowsOf } from "../core/multipart";
import type { UploadBody } from "../core/upload";
import { etagFromBlocks, ETAG_BLOCK, type HashResult } from "../core/etag";
import { assertNotOwing } from "../metering/quotas";
import { getBlob } from "../store/blobs";
import {
  finishingUpload,
  conflictingPart,
  findUpload,
  fixPartSize,
  listParts,
  listUploads,
  recordPart,
  type PartRow,
  type UploadRow,
} from "../store/uploads";
import { getObject } from "../store/objects";
import { ownerNode } from "./buckets";
import { checksumHeaders, declaredBodySize, s3Body } from "./body";
import { contentMd5 } from "./content-md5";
import { requestedObjectAcl } from "./acl";
import { objectAclOf } from "../core/object-acl";
import { servedBucket, type S3Context } from "./context";
import { scheduleUfileEtag } from "../core/ufile-etag";
import { copySourceRow, publishS3 } from "./objects";
import { digestStream } from "./checksums";
import { customerKeyHeaders, customerKeyOf, keyForUpload, type CustomerKey } from "../core/sse-c";
import { formatParts } from "../core/object-parts";
import {
  checksumElement,
  completedChecksum,
  formatStoredChecksum,
  formatUploadChecksum,
  parseStoredChecksum,
  parseUploadChecksum,
  requestedUploadChecksum,
  type StoredChecksum,
  type UploadChecksum,
} from "./stored-checksums";
import { expirationHeader, isoTime, requestedS3Meta, s3StorageClass } from "./object-headers";
import { childrenNamed, childText, malformedXml, readXmlDocument, xmlResponse, type XmlNode } from "./xml";
import { requestedTags } from "./tagging";

/**
 * S3 multipart uploads over the same upload index as UFile multipart (store/uploads.ts).
 *
 * S3 part N (1-based) is the index's part N−1 and R2's part N. R2 needs every part but the last
 * to have one size, which S3 clients choose without saying: the first part of at least 5 MiB
 * (R2's smallest non-final part) fixes the upload's part size (`blk_size`, 0 until then). From
 * then on a part that is larger, or smaller with a higher-numbered part present, is refused on
 * arrival (EntityTooLarge / EntityTooSmall) before a byte goes to R2. Part ETags are the parts'
 * MD5s, the object's is `md5(part MD5s)-N`; the UFile ETag comes from the parts' 4 MiB windows
 * when the part size is a multiple of 4 MiB, else it is computed after completion
 * (ufile-etag.ts). docs/s3.md "Multipart".
 */

const MIN_PART = 5 * 1024 * 1024;
const MAX_PART = 5 * 1024 * 1024 * 1024;
const MAX_PARTS = 10_000;

const uploadIdOf = (c: S3Context): string => c.query.get("uploadId") ?? "";
const noSuchUpload = () =>
  new ApiError("UploadIdNotExist", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.");

async function upload(c: S3Context): Promise<UploadRow> {
  const found = await findUpload(c.db, uploadIdOf(c), servedBucket(c).id, c.key);
  if (!found) throw noSuchUpload();
  return found;
}

// ───────────────────────── Create ─────────────────────────

export async function createMultipartUpload(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  assertValidKey(c.key);
  assertNotOwing(bucket);
  // The canned ACL is kept with the upload and given to the object at completion, as the tags are.
  const acl = await requestedObjectAcl(c.db, c.request.headers, bucket);
  const meta = requestedS3Meta(c.request.headers);
  const checksum = requestedUploadChecksum(c.request.headers);
  const ssec = await customerKeyOf(c.request.headers);
  const row = await createUpload(c.env, c.db, {
    bucketId: bucket.id,
    bucketName: bucket.name,
    key: c.key,
    blkSize: 0,
    meta,
    httpHeaders: meta.httpHeaders,
    checksum: formatUploadChecksum(checksum),
    ssec,
    tags: requestedTags(c.request.headers),
    acl,
    now: c.now,
    maxOpenUploads: c.settings.multipartMaxOpenUploads,
  });
  const response = xmlResponse(["InitiateMultipartUploadResult", ["Bucket", bucket.name], ["Key", c.key], ["UploadId", row.id]]);
  if (checksum) {
    response.headers.set("x-amz-checksum-algorithm", checksum.algorithm.toUpperCase());
    response.headers.set("x-amz-checksum-type", checksum.type);
  }
  customerKeyHeaders(response.headers, row.ssecKeyMd5);
  return response;
}

// ───────────────────────── UploadPart / UploadPartCopy ─────────────────────────

function partNumberOf(c: S3Context): number {
  const raw = c.query.get("partNumber") ?? "";
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PARTS)) throw new ApiError("InvalidArgument", `Part number must be an integer between 1 and ${MAX_PARTS}, inclusive`);
  return n;
}

/**
 * The equal-size rule, checked before the part is stored: returns the upload's part size
 * (fixing it with this part when it is the first of ≥ 5 MiB), or throws.
 */
async function admitPart(c: S3Context, up: UploadRow, index: number, size: number): Promise<number> {
  if (size > MAX_PART) throw new ApiError("EntityTooLarge", "a part holds at most 5 GiB");
  let blkSize = up.blkSize;
  if (blkSize === 0 && size >= MIN_PART) blkSize = (await fixPartSize(c.db, up.id, size)) ?? size;
  if (blkSize > 0 && size > blkSize) {
    throw new ApiError(
      "EntityTooLarge",
      `part ${index + 1} has ${size} bytes, but this upload's part size is ${blkSize} (set by its first part of at least 5 MiB): R2 stores multipart objects whose parts all have one size, except a smaller last part`,
    );
  }
  // blk_size 0 (no part of ≥ 5 MiB yet): no size conflicts are possible yet; Complete checks the final list.
  const other = await conflictingPart(c.db, up.id, index, size, blkSize);
  if (other !== null) {
    throw new ApiError(
      "EntityTooSmall",
      size < blkSize && other > index
        ? `part ${index + 1} has ${size} bytes, less than the part size ${blkSize}, but part ${other + 1} exists: only the last part may be smaller (R2 needs equal part sizes)`
        : `part ${other + 1} is smaller than the part size ${blkSize}, so it is the last part: part ${index + 1} cannot follow it`,
    );
  }
  return blkSize;
}

/**
 * Stores and records one part (`blkSize`: what `admitPart` answered for it); answers its ETag (the
 * part's MD5). `checksum()`: the part's checksum in the upload's algorithm, known once the body
 * has streamed ("" when the upload has none).
 */
async function putPart(
  c: S3Context,
  up: UploadRow,
  index: number,
  blkSize: number,
  body: UploadBody,
  opts: { md5?: Uint8Array; checksum?: () => string; ssec?: CustomerKey } = {},
): Promise<string> {
  const { md5, checksum = () => "", ssec } = opts;
  let stored: { r2Etag: string; hashed: HashResult };
  try {
    stored = await storePart(c.env, up, index, body, { md5: true }, ssec);
  } catch (err) {
    if (!(await findUpload(c.db, up.id, up.bucketId, up.key))) throw noSuchUpload();
    throw err;
  }
  const etag = toHex(stored.hashed.md5!);
  if (md5 && toHex(md5) !== etag) throw new ApiError("BadDigest", "The Content-MD5 you specified did not match what we received.");
  const part: PartRow = {
    uploadId: up.id,
    partNumber: index,
    size: stored.hashed.size,
    etag,
    r2Etag: stored.r2Etag,
    blockSha1s: stored.hashed.blockSha1s.map(toHex).join(""),
    mime: "",
    modifiedAt: c.now,
    checksum: checksum(),
  };
  const outcome = await recordPart(c.db, part, blkSize);
  if (outcome === "gone") throw noSuchUpload();
  if (outcome === "conflict") throw new ApiError("EntityTooSmall", "a part that arrived meanwhile leaves this one in the wrong place: only the last part may be smaller");
  return etag;
}

export async function uploadPart(c: S3Context): Promise<Response> {
  const index = partNumberOf(c) - 1;
  assertNotOwing(servedBucket(c));
  const up = await upload(c);
  // SSE-C: every part carries the upload's customer key (refused otherwise, before a byte is read).
  const ssec = keyForUpload(up.ssecKeyMd5, await customerKeyOf(c.request.headers));
  const md5 = contentMd5(c.request.headers);
  // Refused on arrival when the declared size breaks the equal-size rule, before the body is touched.
  const declared = declaredBodySize(c.request.headers);
  const admitted = declared === null ? null : await admitPart(c, up, index, declared);
  const algorithm = parseUploadChecksum(up.checksum)?.algorithm;
  const body = await s3Body(c, MIN_PART * 2, algorithm);
  const blkSize = admitted ?? (await admitPart(c, up, index, body.body.size));
  const etag = await putPart(c, up, index, blkSize, body.body, { md5, checksum: () => (algorithm ? (body.checksum()?.value ?? "") : ""), ssec });
  const headers = new Headers({ ETag: `"${etag}"`, ...checksumHeaders(body) });
  customerKeyHeaders(headers, up.ssecKeyMd5);
  return new Response(null, { status: 200, headers });
}

/** `x-amz-copy-source-range: bytes=a-b` (both required, within the source). */
function copyRange(c: S3Context, size: number): { start: number; end: number } | null {
  const raw = c.request.headers.get("x-amz-copy-source-range");
  if (raw === null) return null;
  if (!/^bytes=\d+-\d+$/.test(raw.trim())) throw new ApiError("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy");
  const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(raw.trim())!;
  if (Number(a) > Number(b)) throw new ApiError("InvalidArgument", "The x-amz-copy-source-range's first byte is after its last");
  // A well-formed range beyond the source is unsatisfiable (InvalidRange), as in S3.
  if (Number(b) >= size) throw new ApiError("RangeNotSatisfiable", `Range specified is not valid for source object of size: ${size}`);
  return { start: Number(a), end: Number(b) };
}

export async function uploadPartCopy(c: S3Context): Promise<Response> {
  const index = partNumberOf(c) - 1;
  assertNotOwing(servedBucket(c));
  const up = await upload(c);
  const { row, ssec: sourceKey } = await copySourceRow(c);
  const ssec = keyForUpload(up.ssecKeyMd5, await customerKeyOf(c.request.headers)); // the target's key, checked before any byte moves
  const range = copyRange(c, row.size);
  const length = range ? range.end - range.start + 1 : row.size;
  const blkSize = await admitPart(c, up, index, length);
  const blob = length === 0 ? null : await getBlob(c.env, row.blobId, range ? { offset: range.start, length } : undefined, sourceKey?.key);
  if (length > 0 && !blob) throw new Error(`blob ${row.blobId} is missing from R2`);
  // The part's checksum in the upload's algorithm is computed as the bytes are copied.
  const algorithm = parseUploadChecksum(up.checksum)?.algorithm;
  let checksum = "";
  const bytes = blob ? blob.body : new Response(new Uint8Array(0)).body!;
  const stream = algorithm ? bytes.pipeThrough(digestStream(algorithm, (v) => void (checksum = v))) : bytes;
  const body: UploadBody = { size: length, stream };
  const etag = await putPart(c, up, index, blkSize, body, { checksum: () => checksum, ssec });
  const response = xmlResponse([
    "CopyPartResult",
    ["LastModified", isoTime(c.now)],
    ["ETag", `"${etag}"`],
    algorithm ? [checksumElement(algorithm), checksum] : [],
  ]);
  customerKeyHeaders(response.headers, up.ssecKeyMd5);
  return response;
}

// ───────────────────────── Complete ─────────────────────────

const MAX_COMPLETE_BODY = 4 * 1024 * 1024;

/** A part a CompleteMultipartUpload body lists: 1-based number, ETag, the checksum it names (`Checksum<ALG>`), if any. */
interface ListedPart {
  number: number;
  etag: string;
  checksums: Record<string, string>;
}

/** The CompleteMultipartUpload body: parts by 1-based number with their ETags, ascending (repeats collapsed). */
async function requestedParts(c: S3Context): Promise<ListedPart[]> {
  const root = await readXmlDocument(c.request, MAX_COMPLETE_BODY, "CompleteMultipartUpload");
  const listed: ListedPart[] = childrenNamed(root, "Part").map((p) => {
    const n = childText(p, "PartNumber") ?? "";
    if (!/^\d{1,5}$/.test(n)) throw malformedXml("a <Part> needs a <PartNumber>");
    const checksums = Object.fromEntries(p.children.filter((e) => e.name.startsWith("Checksum")).map((e) => [e.name, (e.text ?? "").trim()]));
    return { number: Number(n), etag: (childText(p, "ETag") ?? "").replace(/"/g, "").trim(), checksums };
  });
  if (listed.length === 0) throw malformedXml("You must specify at least one part");
  listed.forEach((p, i) => {
    if (i > 0 && p.number < listed[i - 1].number) throw new ApiError("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.");
  });
  // A part listed twice in a row (a client that re-sent it) counts once, with its last ETag, as in S3.
  return listed.filter((p, i) => i === listed.length - 1 || listed[i + 1].number !== p.number);
}

/**
 * The recorded parts the body names, checked: present, same ETag, the same checksum when the body
 * names the upload's (`checksum`), sizes R2 accepts.
 */
function chosenParts(listed: ListedPart[], recorded: PartRow[], checksum: UploadChecksum | undefined): PartRow[] {
  const byNumber = new Map(recorded.map((p) => [p.partNumber + 1, p]));
  const parts = listed.map(({ number, etag, checksums }) => {
    const p = byNumber.get(number);
    if (!p || p.etag !== etag) {
      throw new ApiError("InvalidPart", `One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag (part ${number}).`);
    }
    const named = checksum ? checksums[checksumElement(checksum.algorithm)] : undefined;
    if (named !== undefined && named !== p.checksum) {
      throw new ApiError("InvalidPart", `The ${checksumElement(checksum!.algorithm)} of part ${number} does not match the checksum it was uploaded with.`);
    }
    return p;
  });
  const size = parts[0].size;
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    if (!last && (p.size < MIN_PART || p.size !== size)) {
      throw new ApiError("EntityTooSmall", `part ${p.partNumber + 1} has ${p.size} bytes: every part but the last needs at least 5 MiB, and all of them the same size (R2)`);
    }
    if (last && parts.length > 1 && (p.size > size || p.size === 0)) throw new ApiError("EntityTooSmall", `the last part has ${p.size} bytes`);
  });
  return parts;
}

export async function completeMultipartUpload(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  assertNotOwing(bucket);
  const up = await findUpload(c.db, uploadIdOf(c), bucket.id, c.key);
  if (!up) return completedAgain(c);
  // SSE-C: the key is optional here (no byte is read), but one that is sent must be the upload's.
  const sentKey = await customerKeyOf(c.request.headers);
  if (sentKey) keyForUpload(up.ssecKeyMd5, sentKey);
  const listed = await requestedParts(c);
  const uploadChecksum = parseUploadChecksum(up.checksum);
  const parts = chosenParts(listed, await listParts(c.db, up.id), uploadChecksum);
  const checksum = uploadChecksum ? await completedChecksum(uploadChecksum, parts) : undefined;
  checkSentChecksum(c.request.headers, checksum);
  const size = parts.reduce((n, p) => n + p.size, 0);
  const s3Etag = await completeBlob(c.env, up, parts, size);
  // Windows line up with the object's when every part but the last is a whole number of windows.
  const aligned = parts.slice(0, -1).every((p) => p.size % ETAG_BLOCK === 0);
  const etag = aligned ? await etagFromBlocks(windowsOf(parts)) : s3Etag;
  const meta = { mime: up.mime || "binary/octet-stream", storageClass: up.storageClass, userMeta: JSON.parse(up.userMeta), httpHeaders: JSON.parse(up.httpHeaders), tags: up.tags, acl: objectAclOf(up.acl) };
  const blob = {
    id: up.blobId,
    size,
    etag,
    s3Etag,
    checksum: formatStoredChecksum(checksum),
    parts: formatParts(parts.map((p) => p.size), uploadChecksum ? parts.map((p) => p.checksum) : undefined),
    ssecKeyMd5: up.ssecKeyMd5,
  };
  // One transaction publishes the object and removes the upload's rows (store/uploads.ts
  // `finishingUpload`), only while the key's range takes writes: a move starting meanwhile makes it
  // change nothing and answer SlowDown, the upload intact for a retry. Another Complete that got
  // the upload first leaves this one nothing to publish: it answers as that one did.
  if (!(await publishS3(c, c.principal, bucket.id, c.key, blob, meta, c.request.headers, finishingUpload(up.id, bucket.id, c.key)))) return completedAgain(c);
  // An SSE-C blob cannot be read without its key, which is gone: it keeps the S3 ETag for UFile clients.
  if (!aligned && !up.ssecKeyMd5) scheduleUfileEtag(c, up.blobId);
  const response = completeResult(c, s3Etag, checksum);
  customerKeyHeaders(response.headers, up.ssecKeyMd5);
  expirationHeader(response.headers, bucket, { key: c.key, size, tags: up.tags, modifiedAt: c.now });
  return response;
}

/**
 * The object checksum a CompleteMultipartUpload names (`x-amz-checksum-<alg>`), if any, must be
 * the one the parts make: BadDigest otherwise, and nothing is completed.
 */
function checkSentChecksum(headers: Headers, computed: StoredChecksum | undefined): void {
  const sent = [...headers].find(([name]) => /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.test(name));
  if (!sent) return;
  if (!computed || sent[0] !== `x-amz-checksum-${computed.algorithm}` || sent[1].trim() !== computed.value) {
    throw new ApiError("BadDigest", `The ${sent[0]} you specified did not match the checksum of the parts.`);
  }
}

function completeResult(c: S3Context, s3Etag: string, checksum: StoredChecksum | undefined): Response {
  const location = new URL(c.url);
  location.search = "";
  return xmlResponse([
    "CompleteMultipartUploadResult",
    ["Location", location.toString()],
    ["Bucket", servedBucket(c).name],
    ["Key", c.key],
    ["ETag", `"${s3Etag}"`],
    checksum ? [[checksumElement(checksum.algorithm), checksum.value], ["ChecksumType", checksum.type]] : [],
  ]);
}

/**
 * CompleteMultipartUpload of an upload already completed (a client retrying after a lost
 * answer): as S3, the same answer again while the object it made is still the key's current one.
 */
async function completedAgain(c: S3Context): Promise<Response> {
  const row = await getObject(c.db, servedBucket(c).id, c.key);
  if (!row || row.blobId !== uploadIdOf(c)) throw noSuchUpload();
  await requestedParts(c);
  return completeResult(c, row.s3Etag, parseStoredChecksum(row.checksum));
}

// ───────────────────────── Abort, ListParts, ListMultipartUploads ─────────────────────────

export async function abortMultipartUpload(c: S3Context): Promise<Response> {
  if (!(await abortUpload(c.env, c.db, uploadIdOf(c), servedBucket(c).id, c.key))) throw noSuchUpload();
  return new Response(null, { status: 204 });
}

function boundedParam(c: S3Context, name: string, max: number): number {
  const raw = c.query.get(name);
  if (raw === null || raw === "") return max;
  if (!/^\d{1,9}$/.test(raw)) throw new ApiError("InvalidArgument", `${name} must be a whole number`);
  return Math.min(Number(raw), max);
}

export async function listPartsOp(c: S3Context): Promise<Response> {
  const up = await upload(c);
  const maxParts = boundedParam(c, "max-parts", 1000);
  const marker = boundedParam(c, "part-number-marker", MAX_PARTS);
  const markerGiven = c.query.has("part-number-marker");
  const rows = await listParts(c.db, up.id, markerGiven ? marker : 0, maxParts + 1);
  const page = rows.slice(0, maxParts);
  const ownerId = servedBucket(c).projectId;
  const checksum = parseUploadChecksum(up.checksum);
  return xmlResponse([
    "ListPartsResult",
    ["Bucket", servedBucket(c).name],
    ["Key", up.key],
    ["UploadId", up.id],
    ["PartNumberMarker", markerGiven ? marker : 0],
    ["NextPartNumberMarker", page.length > 0 ? page[page.length - 1].partNumber + 1 : 0],
    ["MaxParts", maxParts],
    ["IsTruncated", rows.length > maxParts],
    ["Initiator", ["ID", ownerId], ["DisplayName", ownerId]],
    ownerNode(ownerId),
    ["StorageClass", s3StorageClass(up.storageClass)],
    checksum ? [["ChecksumAlgorithm", checksum.algorithm.toUpperCase()], ["ChecksumType", checksum.type]] : [],
    page.map((p): XmlNode => [
      "Part",
      ["PartNumber", p.partNumber + 1],
      ["LastModified", isoTime(p.modifiedAt)],
      ["ETag", `"${p.etag}"`],
      ["Size", p.size],
      checksum && p.checksum ? [checksumElement(checksum.algorithm), p.checksum] : [],
    ]),
  ]);
}

export async function listMultipartUploads(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  const prefix = c.query.get("prefix") ?? "";
  const keyMarker = c.query.get("key-marker") ?? "";
  const maxUploads = boundedParam(c, "max-uploads", 1000);
  const rows = await listUploads(c.db, bucket.id, { prefix, after: keyMarker, limit: maxUploads + 1 });
  const truncated = rows.length > maxUploads;
  const page = rows.slice(0, maxUploads);
  const ownerId = bucket.projectId;
  return xmlResponse([
    "ListMultipartUploadsResult",
    ["Bucket", bucket.name],
    ["KeyMarker", keyMarker],
    ["UploadIdMarker", c.query.get("upload-id-marker") ?? ""],
    ["NextKeyMarker", truncated ? page[page.length - 1].key : ""],
    ["NextUploadIdMarker", truncated ? page[page.length - 1].id : ""],
    ["Prefix", prefix],
    ["MaxUploads", maxUploads],
    ["IsTruncated", truncated],
    page.map((u): XmlNode => [
      "Upload",
      ["Key", u.key],
      ["UploadId", u.id],
      ["Initiator", ["ID", ownerId], ["DisplayName", ownerId]],
      ownerNode(ownerId),
      ["StorageClass", s3StorageClass(u.storageClass)],
      ["Initiated", isoTime(u.createdAt)],
    ]),
  ]);
}
