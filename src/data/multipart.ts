import { toHex } from "../crypto";
import { storedHeader } from "../core/metadata";
import { assertValidKey } from "../core/keys";
import { ApiError } from "../errors";
import { json } from "../responses";
import { getBlob } from "../store/blobs";
import { getObject, publishBlob } from "../store/objects";
import { formatParts } from "../core/object-parts";
import { assertNotCustomerEncrypted } from "../core/sse-c";
import {
  conflictingPart,
  findUpload,
  finishingUpload,
  listParts,
  listUploads,
  recordPart,
  touchUploadWithParts,
  uploadForPart,
  type PartRow,
  type UploadRow,
} from "../store/uploads";
import type { AccessCheck } from "./operation-spec";
import { assertNotOwing } from "../metering/quotas";
import { memo, wholeNumberParam, type DataContext } from "./context";
import { etagFromBlocks, normalizeEtag, partEtag, type HashResult } from "../core/etag";
import { readBounded } from "../body";
import { explainUnwritten, requestedMeta, writeMode } from "./files";
import { releaseBlobs, requestBody, type UploadBody } from "../core/upload";
import { abortUpload, completeBlob, createUpload, storePart, windowsOf } from "../core/multipart";
import { isReadable, requestedUserMeta } from "../core/object-headers";
import { copySourceObject } from "./object-ops";
import { requestedAcl } from "./object-acl";
import { uploadCallback } from "./callback";

/**
 * Multipart upload (spec 000 §12-15, §20; docs/protocol.md §5.9; docs/design.md §5).
 *
 * An upload is an R2 multipart upload of a new blob plus rows in D1 (store/uploads.ts). Part N
 * (0-based) is R2 part N+1. Each part streams through a hasher on its way to R2, and its 4 MiB
 * window SHA-1s are stored with it: BlkSize is a multiple of 4 MiB, so every ETag window lies
 * inside one part and Finish derives the whole object's UFile ETag from the stored digests
 * without reading a byte back. Finish publishes the blob with the same atomic row swap as
 * PutFile; until then nothing is visible.
 */

const MAX_PART_NUMBER = 9999; // R2 numbers parts 1..10000

const uploadIdParam = (c: DataContext): string => {
  const id = c.query.get("uploadId") ?? c.query.get("UploadId") ?? "";
  if (id === "") throw new ApiError("UploadIdNotExist", "uploadId is required");
  return id;
};

const notFound = (id: string) => new ApiError("UploadIdNotExist", id);

// ───────────────────────── Initiate ─────────────────────────

/** `POST /key?uploads`. The body (none from C, `{}` from Java) is ignored. */
export async function initiateMultipartUpload(c: DataContext): Promise<Response> {
  assertValidKey(c.key);
  assertNotOwing(c.bucket);
  const meta = requestedMeta(c.request.headers, c.bucket, ""); // MIME may be empty: parts and Finish may still name it
  const blkSize = c.settings.multipartBlockSize;
  const row = await createUpload(c.env, c.db, {
    bucketId: c.bucket.id,
    bucketName: c.bucket.name,
    key: c.key,
    blkSize,
    meta,
    now: c.now,
    maxOpenUploads: c.settings.multipartMaxOpenUploads,
  });
  return json({ UploadId: row.id, BlkSize: blkSize, Bucket: c.bucket.name, Key: c.key });
}

// ───────────────────────── UploadPart ─────────────────────────

function partNumberParam(c: DataContext): number {
  const raw = c.query.get("partNumber") ?? "";
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n <= MAX_PART_NUMBER)) throw new ApiError("InvalidPart", `partNumber must be a whole number from 0 to ${MAX_PART_NUMBER}, not "${raw}"`);
  return n;
}

/** A part is at most BlkSize bytes, so a body without Content-Length can be buffered. */
async function partBody(c: DataContext, blkSize: number): Promise<UploadBody> {
  const body = await requestBody(c.request, blkSize);
  if (!body || body.size > blkSize) throw new ApiError("InvalidPart", `a part holds at most BlkSize = ${blkSize} bytes`);
  return body;
}


const shortPartRule = (partNumber: number, size: number, blkSize: number, other: number) =>
  new ApiError(
    "InvalidPart",
    size < blkSize && other > partNumber
      ? `part ${partNumber} has ${size} bytes, less than BlkSize ${blkSize}, but part ${other} exists: only the last part may be short`
      : `part ${other} is shorter than BlkSize ${blkSize}, so it is the last part: part ${partNumber} cannot follow it`,
  );

/**
 * `PUT /key?uploadId=&partNumber=N` → `{"PartNumber": N}` and the part ETag. With a Content-Length
 * (every SDK sends one), the upload and the part-size rule come from one D1 statement before the
 * bytes; a chunked body is buffered up to the upload's BlkSize first, so it needs the upload first.
 */
export async function uploadPart(c: DataContext): Promise<Response> {
  const declared = c.request.headers.get("Content-Length");
  if (declared === null || !/^\d+$/.test(declared)) {
    const { id, partNumber, upload } = await partTarget(c);
    return receivePart(c, id, partNumber, upload, await partBody(c, upload.blkSize));
  }
  const id = uploadIdParam(c);
  const partNumber = partNumberParam(c);
  assertNotOwing(c.bucket);
  const found = await uploadForPart(c.db, id, c.bucket.id, c.key, partNumber, Number(declared));
  if (!found) throw notFound(id);
  return receivePart(c, id, partNumber, found.upload, await partBody(c, found.upload.blkSize), found.conflicting);
}

/** The upload and part number a part request names (UploadPart, UploadPartCopy). */
async function partTarget(c: DataContext): Promise<{ id: string; partNumber: number; upload: UploadRow }> {
  const id = uploadIdParam(c);
  const partNumber = partNumberParam(c);
  assertNotOwing(c.bucket);
  const upload = await findUpload(c.db, id, c.bucket.id, c.key);
  if (!upload) throw notFound(id);
  return { id, partNumber, upload };
}

/**
 * Stores one part's bytes under the part rules (only the last part may be short) and records it.
 * `conflicting`: the rule's answer when the caller already has it (uploadForPart), else looked up.
 */
async function receivePart(
  c: DataContext,
  id: string,
  partNumber: number,
  upload: UploadRow,
  body: UploadBody,
  conflicting?: number | null,
): Promise<Response> {
  const { blkSize } = upload;
  const mime = storedHeader("Content-Type", c.request.headers.get("Content-Type") ?? "");
  if (body.size === 0 && partNumber > 0) throw new ApiError("InvalidPart", "only a single-part upload may have an empty part");
  // Refused on arrival, before a byte goes to R2; recordPart checks again atomically.
  const other = conflicting !== undefined ? conflicting : await conflictingPart(c.db, id, partNumber, body.size, blkSize);
  if (other !== null) throw shortPartRule(partNumber, body.size, blkSize, other);

  let stored: { r2Etag: string; hashed: HashResult };
  try {
    stored = await storePart(c.env, upload, partNumber, body, { wholeSha1: true });
  } catch (err) {
    // An abort that raced with this part makes R2 refuse it: answer as for any unknown id.
    if (!(await findUpload(c.db, id, c.bucket.id, c.key))) throw notFound(id);
    throw err;
  }
  const etag = partEtag(stored.hashed.wholeSha1!);
  const part: PartRow = {
    uploadId: id,
    partNumber,
    size: stored.hashed.size,
    etag,
    r2Etag: stored.r2Etag,
    blockSha1s: stored.hashed.blockSha1s.map(toHex).join(""),
    mime,
    modifiedAt: c.now,
    checksum: "",
  };
  const outcome = await recordPart(c.db, part, blkSize);
  if (outcome === "gone") throw notFound(id);
  if (outcome === "conflict") {
    throw new ApiError("InvalidPart", "a part that arrived meanwhile leaves this one in the wrong place: only the last part may be short");
  }
  return json({ PartNumber: partNumber }, 200, { ETag: etag });
}

// ───────────────────────── UploadPartCopy ─────────────────────────

/**
 * `X-Ufile-Copy-Source-Range: bytes=first-last` (both inclusive, within the source). Absent: the
 * whole source. Anything else → 419 -90013 (upload_part_copy.md).
 */
export function copySourceRange(header: string | null, size: number): { offset: number; length: number } {
  if (header === null || header.trim() === "") return { offset: 0, length: size };
  const m = /^bytes=(\d{1,16})-(\d{1,16})$/.exec(header.trim());
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!(first <= last && last < size)) {
    throw new ApiError("InvalidCopySourceRange", `"${header}" is not bytes=first-last inside the ${size}-byte source`);
  }
  return { offset: first, length: last - first + 1 };
}

/**
 * `PUT /key?uploadId=&partNumber=N` + `X-Ufile-Copy-Source` (+ `-Range`) → `{"PartNumber": N}` and
 * the part ETag (Go `UploadPartCopy`/`MCopy`, Java `UploadCopyPartApi`). The range streams from the
 * source blob in R2 into the R2 part, hashed on the way like an uploaded part; the part rules of
 * UploadPart apply to its length.
 */
export async function uploadPartCopy(c: DataContext): Promise<Response> {
  const { id, partNumber, upload } = await partTarget(c);
  const source = await copySourceObject(c);
  // Its bytes are read, as by GetFile: an archived source must be restored first.
  if (!isReadable(source, c.now)) throw new ApiError("NotRestored", "the copy source");
  assertNotCustomerEncrypted(source);
  const { offset, length } = copySourceRange(c.request.headers.get("X-Ufile-Copy-Source-Range"), source.size);
  if (length > upload.blkSize) throw new ApiError("InvalidPart", `a part holds at most BlkSize = ${upload.blkSize} bytes; the range has ${length}`);
  if (length === 0) return receivePart(c, id, partNumber, upload, { size: 0, buffered: new Uint8Array(0) });
  const blob = await getBlob(c.env, source.blobId, { offset, length });
  if (!blob) throw new Error(`blob ${source.blobId} of the copy source is missing from R2`);
  try {
    return await receivePart(c, id, partNumber, upload, { size: length, stream: blob.body });
  } finally {
    await blob.body.cancel().catch(() => undefined); // a refused part leaves the source stream unread
  }
}

// ───────────────────────── Finish ─────────────────────────

/** The Finish body, as every SDK sends it: comma-joined part ETags, maybe quoted, maybe a trailing comma. */
export function parseEtagList(body: string): string[] {
  return body
    .split(",")
    .map((entry) => normalizeEtag(entry).replace(/"/g, ""))
    .filter((entry) => entry !== "");
}

/** 10 000 ETags of 28 characters, quoted, with separators and whitespace, fit easily. */
const MAX_FINISH_BODY = 1024 * 1024;

/**
 * The key the object is published under (spec 000 §14, docs/protocol.md §5.9): `newKey` (or
 * `newObject`) when it is non-empty and the upload's key is already taken, else the key.
 * Decided once per request: the access check authorizes WRITE on it and Finish uses it.
 */
const finishKey = memo(async (c: DataContext): Promise<string> => {
  const newKey = c.query.get("newKey") || c.query.get("newObject") || "";
  if (newKey === "" || newKey === c.key || !(await getObject(c.db, c.bucket.id, c.key))) return c.key;
  assertValidKey(newKey);
  return newKey;
});

export const finishAccess = async (c: DataContext): Promise<AccessCheck> => ({ signedKeys: [c.key], target: { key: await finishKey(c) } });

type PartCheck = (p: PartRow, i: number, ctx: { last: boolean; blkSize: number }) => string | null;

/** Finish's checks of each stored part, in part order; the first failure is reported. */
const PART_CHECKS: PartCheck[] = [
  (p, i) => (p.partNumber !== i ? `part ${i} was never uploaded` : null),
  (p, i, { last, blkSize }) => (!last && p.size !== blkSize ? `part ${i} has ${p.size} bytes; every part but the last has ${blkSize}` : null),
  (p, i, { last, blkSize }) => (last && (p.size > blkSize || (p.size === 0 && i > 0)) ? `the last part has ${p.size} bytes` : null),
];

/**
 * The ETag list names exactly the parts received, in any order: the C SDK's threaded upload lists
 * them as the answers arrived. Each part ETag names its part's content, so the list must be the
 * multiset of stored part ETags (equal parts have equal ETags); the object is still assembled in
 * part-number order. A missing, extra or stale ETag is refused.
 */
function unmatchedEtag(parts: PartRow[], sent: string[]): string | null {
  if (sent.every((etag, i) => etag === parts[i].etag)) return null; // the usual, ordered list
  const left = new Map<string, number>();
  for (const p of parts) left.set(p.etag, (left.get(p.etag) ?? 0) + 1);
  for (const [i, etag] of sent.entries()) {
    const n = left.get(etag) ?? 0;
    if (n === 0) return `ETag #${i + 1} "${etag}" is not the ETag of any uploaded part (or lists one part twice)`;
    left.set(etag, n - 1);
  }
  return null;
}

function checkPartList(parts: PartRow[], sent: string[], blkSize: number): void {
  const fail = (why: string) => new ApiError("InvalidPartList", why);
  if (sent.length !== parts.length) throw fail(`the body lists ${sent.length} ETags, ${parts.length} parts were uploaded`);
  if (parts.length === 0) throw fail("no part was uploaded");
  parts.forEach((p, i) => {
    const ctx = { last: i === parts.length - 1, blkSize };
    for (const check of PART_CHECKS) {
      const why = check(p, i, ctx);
      if (why) throw fail(why);
    }
  });
  const why = unmatchedEtag(parts, sent);
  if (why) throw fail(why);
}

/** The object's MIME (docs/protocol.md §5.9): part 0's Content-Type, else Initiate's, else Finish's. */
const finishMime = (c: DataContext, upload: UploadRow, parts: PartRow[]): string =>
  parts[0].mime || upload.mime || c.request.headers.get("Content-Type") || "application/octet-stream";

/** `X-Ufile-Metadata-Directive: REPLACE` takes Finish's user meta; anything else keeps Initiate's. */
const finishUserMeta = (c: DataContext, upload: UploadRow): Record<string, string> =>
  (c.request.headers.get("X-Ufile-Metadata-Directive") ?? "").trim().toUpperCase() === "REPLACE"
    ? requestedUserMeta(c.request.headers)
    : (JSON.parse(upload.userMeta) as Record<string, string>);

/**
 * `POST /key?uploadId=[&newKey=]`, body = part ETags → `{Bucket, Key, FileSize}` and the ETag.
 * Checks come first and publish nothing; a failure before the claim (R2 included) leaves the
 * upload resumable. After the claim, a failed publish leaves a completed blob that no row
 * references: the orphan sweeper removes it (docs/design.md §4 invariant 3).
 */
export async function finishMultipartUpload(c: DataContext): Promise<Response> {
  const id = uploadIdParam(c);
  assertNotOwing(c.bucket);
  const callback = uploadCallback(c); // a bad upload policy is refused before anything is published
  storedHeader("Content-Type", c.request.headers.get("Content-Type") ?? ""); // Finish's type may become the object's
  const acl = requestedAcl(c.request.headers, c.bucket);
  const key = await finishKey(c);
  const found = await touchUploadWithParts(c.db, id, c.bucket.id, c.key, c.now);
  if (!found) throw notFound(id);
  const { upload, parts } = found;
  const raw = await readBounded(c.request.body, MAX_FINISH_BODY);
  if (!raw) throw new ApiError("InvalidPartList", `the body is larger than ${MAX_FINISH_BODY} bytes`);
  checkPartList(parts, parseEtagList(new TextDecoder().decode(raw)), upload.blkSize);

  const size = parts.reduce((n, p) => n + p.size, 0);
  const userMeta = finishUserMeta(c, upload);
  const s3Etag = await completeBlob(c.env, upload, parts, size);
  const etag = await etagFromBlocks(windowsOf(parts));
  const meta = { mime: finishMime(c, upload, parts), storageClass: upload.storageClass, userMeta, acl };
  // One batch publishes the object and removes the upload's rows. Only one Finish (or Abort, or
  // the sweeper) gets the rows: a concurrent Finish publishes nothing and stops here.
  // The part layout is kept with the object, so `partNumber` reads (S3's) find each part.
  const blob = { id: upload.blobId, size, etag, s3Etag, parts: formatParts(parts.map((p) => p.size)) };
  const result = await publishBlob(c.db, c.bucket.id, key, blob, meta, c.now, writeMode(c), finishingUpload(id, c.bucket.id, c.key));
  if (!result.alongTook) throw notFound(id);
  releaseBlobs(c, result.released);
  await explainUnwritten(c, key, result, () => new ApiError("BucketNotExist"));
  const answer = json({ Bucket: c.bucket.name, Key: key, FileSize: size }, 200, { ETag: etag });
  return callback ? callback.answer({ key, etag, size, mime: meta.mime }, answer) : answer;
}

// ───────────────────────── Abort ─────────────────────────

/** `DELETE /key?uploadId=` → 200, empty. The id is unknown from then on. */
export async function abortMultipartUpload(c: DataContext): Promise<Response> {
  const id = uploadIdParam(c);
  if (!(await abortUpload(c.env, c.db, id, c.bucket.id, c.key))) throw notFound(id);
  return new Response(null, { status: 200 });
}

// ───────────────────────── Listings ─────────────────────────

/** A positive count parameter: default when absent, capped at `max` (a paging client expects a page, not an error). */
/** The upload a GetMultiUploadPart names; its key is what a token's prefixes are checked on. */
const listedUpload = memo((c: DataContext) => findUpload(c.db, uploadIdParam(c), c.bucket.id));

/** GetMultiUploadPart signs `/bucket/` and needs LIST on the upload's key (no upload: on ""). */
export const listPartsAccess = async (c: DataContext): Promise<AccessCheck> => ({
  signedKeys: [""],
  target: { listPrefix: (await listedUpload(c).catch(() => null))?.key ?? "" },
});

/**
 * `GET /?muploadpart&uploadId=[&max-parts=][&part-number-marker=]` (docs/protocol.md §5.9).
 * The marker is inclusive (Go always sends 0, the first part number).
 */
export async function getMultiUploadPart(c: DataContext): Promise<Response> {
  const upload = await listedUpload(c);
  if (!upload) throw notFound(uploadIdParam(c));
  const maxParts = wholeNumberParam(c, "max-parts", { fallback: 1000, min: 1, max: 1000, aboveMax: "cap" });
  const marker = c.query.get("part-number-marker") || "0";
  if (!/^\d+$/.test(marker)) throw new ApiError("InvalidRequest", "part-number-marker must be a whole number");
  const rows = await listParts(c.db, upload.id, Number(marker), maxParts + 1);
  const page = rows.slice(0, maxParts);
  return json({
    RetCode: 0,
    ErrMsg: "",
    UploadId: upload.id,
    Bucket: c.bucket.name,
    Key: upload.key,
    Status: 0,
    Parts: page.map((p) => ({ PartNum: p.partNumber, Etag: p.etag, Size: p.size, LastModified: p.modifiedAt })),
    MaxParts: maxParts,
    IsTruncated: rows.length > maxParts,
    NextPartNumberMarker: page.length > 0 ? page[page.length - 1].partNumber + 1 : Number(marker),
  });
}

/**
 * `GET /?muploadid&prefix=&marker=&limit=` (docs/protocol.md §5.10): uploads in progress by key.
 * `marker` is a key (exclusive), `NextMarker` the last key listed. A page never ends inside one
 * key's uploads: when the next upload shares the last key, that key's remaining uploads are
 * added, so the next page can start after the key without losing any.
 */
export async function getMultiUploadId(c: DataContext): Promise<Response> {
  const limit = wholeNumberParam(c, "limit", { fallback: 20, min: 1, max: 1000, aboveMax: "cap" });
  const rows = await listUploads(c.db, c.bucket.id, { prefix: c.query.get("prefix") ?? "", after: c.query.get("marker") ?? "", limit: limit + 1 });
  const truncated = rows.length > limit;
  let page = rows.slice(0, limit);
  const lastKey = page[page.length - 1]?.key;
  if (truncated && rows[limit].key === lastKey) {
    page = [...page.filter((u) => u.key !== lastKey), ...(await listUploads(c.db, c.bucket.id, { key: lastKey }))];
  }
  return json({
    RetCode: 0,
    ErrMsg: "",
    Bucket: c.bucket.name,
    NextMarker: truncated ? lastKey : "",
    IsTruncated: truncated,
    DataSet: page.map((u) => ({ UploadId: u.id, FileName: u.key, StartTime: u.createdAt, StorageClass: u.storageClass })),
  });
}
