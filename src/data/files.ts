import { ApiError } from "../errors";
import { storedHeader } from "../core/metadata";
import { assertValidKey } from "../core/keys";
import { notModifiedSince } from "../core/conditional";
import { fromBase64, fromHex } from "../crypto";
import { newBlobId } from "../store/blobs";
import type { ServedBucket } from "../store/buckets";
import { blobResponse } from "../core/read";
import { sentObject } from "../core/request";
import { assertNotCustomerEncrypted } from "../core/sse-c";
import { database } from "../store/db";
import { type NewBlob, type ObjectMeta, type ObjectRow, type WriteMode, type WriteResult } from "../store/objects";
import { publishObject, releaseBlobs, requestBody, storeBlob, type UploadBody } from "../core/upload";
import { deleteConditionOf, deleteIfMeets, explainUnwritten as explainWrite, writeModeOf } from "../core/write-checks";
import { assertNotOwing } from "../metering/quotas";
import { requestedObject, type DataContext } from "./context";
import { isReadable, objectHeaders, requestedStorageClass, requestedUserMeta, setHeader } from "../core/object-headers";
import { requestedAcl } from "./object-acl";
import { uploadCallback } from "./callback";

/** PutFile, GetFile, HEAD and DeleteFile (spec 000 §6, §9-11; docs/protocol.md §5.3, §5.6-5.8). */

/** `Content-MD5` as 32 hex or 24 base64 characters (SDKs send hex, spec 003 base64). */
export function parseContentMd5(value: string | null): Uint8Array | undefined {
  if (value === null || value.trim() === "") return undefined;
  const v = value.trim();
  const bytes = /^[0-9a-fA-F]{32}$/.test(v) ? fromHex(v) : /^[A-Za-z0-9+/]{22}==$/.test(v) ? fromBase64(v) : null;
  if (!bytes || bytes.byteLength !== 16) throw new ApiError("InvalidRequest", "Content-MD5 must be 32 hex or 24 base64 characters");
  return bytes;
}

/** The metadata a write to `bucket` records, from the request's headers. */
export function requestedMeta(headers: Headers, bucket: ServedBucket, fallbackMime = "application/octet-stream"): ObjectMeta {
  return {
    mime: storedHeader("Content-Type", headers.get("Content-Type") || fallbackMime),
    storageClass: requestedStorageClass(headers, "STANDARD"),
    userMeta: requestedUserMeta(headers),
    acl: requestedAcl(headers, bucket),
  };
}

/** How this request's writes treat an existing key (core/write-checks.ts). */
export const writeMode = (c: DataContext): WriteMode => writeModeOf(c.principal);

/** After a write that wrote nothing under `key` in this bucket: why (core/write-checks.ts). */
export const explainUnwritten = (c: DataContext, key: string, result: WriteResult, otherwise: () => ApiError): Promise<void> =>
  explainWrite(c.db, c.bucket.id, key, result, writeMode(c), otherwise);

/** Publishes a complete blob under `key`, answering like PutFile. */
export async function publish(c: DataContext, key: string, blob: NewBlob, meta: ObjectMeta) {
  const result = await publishObject(c, c.bucket.id, key, blob, meta, writeMode(c));
  await explainUnwritten(c, key, result, () => new ApiError("BucketNotExist"));
  return new Response(null, { status: 200, headers: { ETag: blob.etag } });
}

/** The request body of a write, or 411 when it has no Content-Length and is longer than the buffer bound. */
async function uploadBody(c: DataContext): Promise<UploadBody> {
  const body = await requestBody(c.request, c.settings.maxBufferedBodyBytes);
  if (!body) throw new ApiError("LengthRequired", `a body without Content-Length is limited to ${c.settings.maxBufferedBodyBytes} bytes`);
  return body;
}

export async function putFile(c: DataContext): Promise<Response> {
  assertValidKey(c.key);
  assertNotOwing(c.bucket);
  const meta = requestedMeta(c.request.headers, c.bucket);
  const md5 = parseContentMd5(c.request.headers.get("Content-MD5"));
  const callback = uploadCallback(c); // a bad upload policy is refused before a byte is stored
  const blob = await storeBlob(c.env, newBlobId(), await uploadBody(c), { storageClass: meta.storageClass, md5 });
  const published = await publish(c, c.key, blob, meta);
  return callback ? callback.answer({ key: c.key, etag: blob.etag, size: blob.size, mime: meta.mime }, published) : published;
}

async function existing(c: DataContext): Promise<ObjectRow> {
  const row = await requestedObject(c);
  if (!row) throw new ApiError("FileNotExist");
  return row;
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export async function getFile(c: DataContext): Promise<Response> {
  const row = await existing(c);
  assertNotCustomerEncrypted(row);
  assertNotOwing(c.bucket);
  if (!isReadable(row, c.now)) throw new ApiError("NotRestored");
  const headers = objectHeaders(row, c.now);
  if (notModifiedSince(c.request.headers.get("If-Modified-Since"), row.modifiedAt)) return new Response(null, { status: 304, headers });
  const attachment = c.query.get("ufileattname");
  if (attachment) setHeader(headers, "Content-Disposition", contentDisposition(attachment));
  const response = await blobResponse(c.env, row, c.request.headers.get("Range"), headers);
  if (response) {
    sentObject(c, row, response);
    return response;
  }
  // A read replica may have answered with a row whose blob a newer version has already
  // released: the primary knows the current row (or that the object is gone).
  const primary = database(c.env.DB);
  if (c.db !== primary) return getFile({ ...c, db: primary });
  throw new Error(`blob ${row.blobId} of ${c.bucket.name}/${c.key} is missing from R2`);
}

/** HEAD: the GET headers, no body, Content-Length the object size; never touches R2. */
export async function headFile(c: DataContext): Promise<Response> {
  const row = await existing(c);
  assertNotCustomerEncrypted(row);
  return new Response(null, { status: 200, headers: objectHeaders(row, c.now, row.size) });
}

/** DeleteFile; with `If-Match`, only an object that has one of its ETags (else 412, the object kept). */
export async function deleteFile(c: DataContext): Promise<Response> {
  const result = await deleteIfMeets(c.db, c.bucket.id, c.key, deleteConditionOf(c.request.headers));
  if (!result.written) throw new ApiError("FileNotExist");
  releaseBlobs(c, result.released);
  return new Response(null, { status: 204 });
}

