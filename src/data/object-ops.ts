import { ApiError } from "../errors";
import { storedTextHeader } from "../core/metadata";
import { readBounded } from "../body";
import { assertValidKey } from "../core/keys";
import { bucketByName } from "../store/buckets";
import { copyObject, findByHash, getObject, NO_TAGS, renameObject, updateObject, type ObjectRow } from "../store/objects";
import { assertNotOwing } from "../metering/quotas";
import { meterRestore } from "../metering/events";
import type { DataContext } from "./context";
import { isEmptyFileEtag, normalizeEtag } from "../core/etag";
import { releaseBlobs } from "../core/upload";
import { explainUnwritten, writeMode } from "./files";
import { mayReplace } from "../auth/scope";
import { canonicalStorageClass, isArchival, requestedStorageClass, requestedUserMeta, restoreState } from "../core/object-headers";
import type { ObjectRef } from "./operation-spec";
import { requestedAcl } from "./object-acl";

/**
 * Operations that only touch the index, never bytes: UploadHit (秒传), Copy, Rename, OpMeta,
 * ClassSwitch, Restore (spec 000 §8, §25; docs/protocol.md §5.5, §5.11). R2 cannot rename, copy or
 * edit metadata in place; with blobs under opaque ids these are row updates.
 */

const ok = (etag?: string) => new Response(null, { status: 200, headers: etag ? { ETag: etag } : {} });

async function existingRow(c: DataContext, key = c.key): Promise<ObjectRow> {
  const row = await getObject(c.db, c.bucket.id, key);
  if (!row) throw new ApiError("FileNotExist");
  return row;
}

// ── UploadHit ──

/** The ETag every SDK computes for an empty file, in our canonical form. */
const EMPTY_FILE_ETAG = "AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ";

export function uploadHitParams(c: DataContext): { hash: string; fileName: string; fileSize: number } {
  const hash = normalizeEtag(c.query.get("Hash") ?? "");
  const fileName = c.query.get("FileName") ?? "";
  const sizeText = c.query.get("FileSize") ?? "";
  if (!hash || !fileName || !/^\d+$/.test(sizeText)) throw new ApiError("InvalidRequest", "Hash, FileName and FileSize (digits) are required");
  return { hash, fileName, fileSize: Number(sizeText) };
}

export async function uploadHit(c: DataContext): Promise<Response> {
  const { hash, fileName, fileSize } = uploadHitParams(c);
  assertValidKey(fileName);
  assertNotOwing(c.bucket);
  // The SDKs disagree on the empty file's ETag (docs/protocol.md §4.4): all three find an empty object.
  const candidates = fileSize === 0 && isEmptyFileEtag(hash) ? [EMPTY_FILE_ETAG] : [hash];
  const source = await findByHash(c.db, c.bucket.id, candidates, fileSize);
  if (!source) throw new ApiError("FileNotExist", "no file with this hash and size in the bucket");
  const storageClass = requestedStorageClass(c.request.headers, "STANDARD");
  const userMeta = requestedUserMeta(c.request.headers);
  const acl = requestedAcl(c.request.headers, c.bucket);
  const result = await copyObject(
    c.db,
    { bucketId: c.bucket.id, key: source.key },
    { bucketId: c.bucket.id, key: fileName },
    () => ({ storageClass, userMeta, tags: NO_TAGS, acl }),
    source,
    c.now,
    writeMode(c),
  );
  releaseBlobs(c, result.released);
  await explainUnwritten(c, fileName, result, () => new ApiError("FileNotExist", "the matching file was removed meanwhile"));
  return ok();
}

// ── Copy ──

/** `X-Ufile-Copy-Source: /<bucket>/<key>`, raw, quote()d or fully percent-encoded (docs/protocol.md §5.11). */
export function copySource(c: DataContext): { bucket: string; key: string } {
  const raw = c.request.headers.get("X-Ufile-Copy-Source") ?? "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.trim());
  } catch {
    throw new ApiError("InvalidRequest", "malformed X-Ufile-Copy-Source");
  }
  const path = decoded.startsWith("/") ? decoded.slice(1) : decoded;
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) throw new ApiError("InvalidRequest", "X-Ufile-Copy-Source must be /<bucket>/<key>");
  return { bucket: path.slice(0, slash).toLowerCase(), key: path.slice(slash + 1) };
}

async function resolveCopySource(c: DataContext) {
  const { bucket, key } = copySource(c);
  const sourceBucket = await bucketByName(c.db, bucket);
  if (!sourceBucket) throw new ApiError("BucketNotExist", `copy source bucket ${bucket}`);
  return { sourceBucket, key };
}

/** The copy source as the scope check needs it (its bucket's project), or 404 -30010. */
export async function copySourceRef(c: DataContext): Promise<ObjectRef> {
  const { sourceBucket, key } = await resolveCopySource(c);
  return { bucket: sourceBucket.name, bucketProjectId: sourceBucket.projectId, key };
}

/** The copy source's object row (Copy, UploadPartCopy), or 404 (-30010 bucket, -148654 file). */
export async function copySourceObject(c: DataContext): Promise<ObjectRow> {
  const { sourceBucket, key } = await resolveCopySource(c);
  const source = await getObject(c.db, sourceBucket.id, key);
  if (!source) throw new ApiError("FileNotExist", "copy source");
  return source;
}

export async function copy(c: DataContext): Promise<Response> {
  assertValidKey(c.key);
  assertNotOwing(c.bucket);
  const source = await copySourceObject(c);
  const directive = (c.request.headers.get("X-Ufile-Metadata-Directive") ?? "COPY").trim().toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") throw new ApiError("InvalidRequest", "X-Ufile-Metadata-Directive is COPY or REPLACE");
  const userMeta = directive === "REPLACE" ? requestedUserMeta(c.request.headers) : undefined;
  const storageClass = requestedStorageClass(c.request.headers, source.storageClass);
  const acl = requestedAcl(c.request.headers, c.bucket);
  const result = await copyObject(
    c.db,
    { bucketId: source.bucketId, key: source.key },
    { bucketId: c.bucket.id, key: c.key },
    // The copy keeps the source's tags; its ACL is the request's, else `default`.
    () => ({ storageClass, userMeta, acl }),
    source,
    c.now,
    writeMode(c),
  );
  releaseBlobs(c, result.released);
  await explainUnwritten(c, c.key, result, () => new ApiError("FileNotExist", "copy source changed meanwhile; retry"));
  return ok(source.etag);
}

// ── Rename ──

export async function rename(c: DataContext): Promise<Response> {
  const to = c.query.get("newFileName") ?? "";
  assertValidKey(to);
  const force = (c.query.get("force") ?? "").toLowerCase() === "true";
  const { outcome, released } = await renameObject(c.db, c.bucket.id, c.key, to, force && mayReplace(c.principal), c.now);
  releaseBlobs(c, released);
  if (outcome === "missing") throw new ApiError("FileNotExist");
  if (outcome === "exists" && force) {
    throw new ApiError("TokenPermissionDenied", `${to} exists and this token has TOKEN_DENY_UPDATE: it may not replace objects`);
  }
  if (outcome === "exists") throw new ApiError("FileAlreadyExists", `${to} exists; pass force=true to replace it`);
  return ok();
}

// ── OpMeta ──

/** A JSON document naming one MIME type (itself at most 1024 bytes, src/core/metadata.ts). */
const MAX_OPMETA_BODY = 8 * 1024;

export async function opMeta(c: DataContext): Promise<Response> {
  let body: { op?: unknown; metak?: unknown; metav?: unknown };
  try {
    const raw = await readBounded(c.request.body, MAX_OPMETA_BODY);
    if (raw === null) throw new ApiError("InvalidRequest", `the OpMeta body is at most ${MAX_OPMETA_BODY} bytes`);
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError("InvalidRequest", "the body must be JSON {op, metak, metav}");
  }
  if (body?.op !== "set" || body.metak !== "mimetype" || typeof body.metav !== "string" || body.metav.trim() === "") {
    throw new ApiError("InvalidRequest", 'only {"op":"set","metak":"mimetype","metav":"<mime>"} is supported');
  }
  const mime = storedTextHeader("Content-Type", body.metav.trim());
  if (!(await updateObject(c.db, c.bucket.id, c.key, { mime }))) throw new ApiError("FileNotExist");
  return ok();
}

// ── ClassSwitch and Restore ──

export async function classSwitch(c: DataContext): Promise<Response> {
  const target = canonicalStorageClass(c.query.get("storageClass") ?? "");
  const row = await existingRow(c);
  // An archived file may leave its class only while restored (docs/protocol.md §5.11).
  if (isArchival(row.storageClass) && !isArchival(target) && restoreState(row, c.now) !== "restored") {
    throw new ApiError("NotRestored");
  }
  const entersArchive = isArchival(target) && !isArchival(row.storageClass);
  await updateObject(c.db, c.bucket.id, c.key, {
    storageClass: target,
    ...(entersArchive || !isArchival(target) ? { restoreReadyAt: null, restoreExpiresAt: null } : {}),
  });
  return ok();
}

export async function restore(c: DataContext): Promise<Response> {
  const row = await existingRow(c);
  if (!isArchival(row.storageClass)) return ok(); // restoring a STANDARD/IA object is a no-op
  const state = restoreState(row, c.now);
  const { restoreDelaySeconds: delay, restoreWindowSeconds: window } = c.settings;
  if (state === "restored") {
    await updateObject(c.db, c.bucket.id, c.key, { restoreExpiresAt: c.now + window });
  } else if (state === "none") {
    // Only a restore that starts restores bytes (AcRestore); extending a restored copy restores none.
    if (await updateObject(c.db, c.bucket.id, c.key, { restoreReadyAt: c.now + delay, restoreExpiresAt: c.now + delay + window })) {
      meterRestore(c.env, c.ctx, c.bucket, row.size);
    }
  }
  return ok();
}
