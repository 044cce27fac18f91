import { ApiError } from "../errors";
import { publishObject, releaseBlobs, storeBlob } from "../core/upload";
import { assertValidKey } from "../core/keys";
import { isReadable } from "../core/object-headers";
import { assertNotOwing } from "../metering/quotas";
import { newBlobId } from "../store/blobs";
import { spanResponse } from "../core/read";
import { sentObject } from "../core/request";
import { readSpan } from "./read-span";
import { customerKeyHeaders, customerKeyOf, keyForStored, SSEC_COPY_SOURCE_HEADERS, type CustomerKey } from "../core/sse-c";
import { formatStoredChecksum, parseStoredChecksum } from "./stored-checksums";
import { getBlob } from "../store/blobs";
import { requestedTags } from "./tagging";
import { requestedObjectAcl } from "./acl";
import { copyObject, getObject, NO_TAGS, type DeleteCondition, type NewBlob, type ObjectMeta, type ObjectRow, type PublishAlong } from "../store/objects";
import { deleteIfMeets, explainUnwritten, writeModeOf } from "../core/write-checks";
import { deleteEntryCondition, deleteObjectCondition } from "./delete-conditions";
import type { Principal } from "../auth/principal";
import { authorizeBodyKey } from "./access";
import { s3CodeOf } from "./errors";
import { copySource, type CopySource } from "./copy-source";
import { checksumHeaders, s3Body } from "./body";
import { contentMd5 } from "./content-md5";
import { checksumBase64, checksumFromHeaders } from "./checksums";
import { addressedObject, servedBucket, type S3Context } from "./context";
import { applyResponseOverrides, checkS3Preconditions, expirationHeader, isoTime, requestedS3Meta, requestedS3StorageClass, s3Etag, s3ObjectHeaders } from "./object-headers";
import { childrenNamed, childText, malformedXml, readXmlDocument, xmlResponse, type XmlNode } from "./xml";

/** Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject. */

/**
 * Publishes a stored blob for an S3 write (PutObject, CompleteMultipartUpload, PostObject), under
 * the request's conditions (`If-None-Match: *`, `If-Match`) and the token's create-only rule.
 * `along`: a CompleteMultipartUpload's claim of its upload, in the same transaction as the publish;
 * false when another Complete (or an Abort) took the upload first and nothing was published.
 */
export async function publishS3(
  c: S3Context,
  principal: Principal,
  bucketId: string,
  key: string,
  blob: NewBlob,
  meta: ObjectMeta,
  headers = c.request.headers,
  along?: PublishAlong,
): Promise<boolean> {
  const mode = writeModeOf(principal, headers);
  const result = await publishObject(c, bucketId, key, blob, meta, mode, along);
  if (along && !result.alongTook) return false;
  await explainUnwritten(c.db, bucketId, key, result, mode, () => new ApiError("BucketNotExist"), headers);
  return true;
}

export async function putObject(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  assertValidKey(c.key);
  assertNotOwing(bucket);
  const meta = { ...requestedS3Meta(c.request.headers), tags: requestedTags(c.request.headers), acl: await requestedObjectAcl(c.db, c.request.headers, servedBucket(c)) };
  const md5 = contentMd5(c.request.headers);
  const ssec = await customerKeyOf(c.request.headers);
  const body = await s3Body(c);
  const blob = await storeBlob(c.env, newBlobId(), body.body, { storageClass: meta.storageClass, md5, ssec });
  const sent = body.checksum();
  await publishS3(c, c.principal, bucket.id, c.key, { ...blob, checksum: formatStoredChecksum(sent && { ...sent, type: "FULL_OBJECT" }) }, meta);
  const headers = new Headers({ ETag: `"${blob.s3Etag}"`, ...checksumHeaders(body) });
  customerKeyHeaders(headers, blob.ssecKeyMd5 ?? "");
  expirationHeader(headers, bucket, { key: c.key, size: blob.size, tags: meta.tags ?? NO_TAGS, modifiedAt: c.now });
  return new Response(null, { status: 200, headers });
}

/** The addressed object, and the customer key its bytes need (SSE-C: the request's, checked against the object's). */
export async function existing(c: S3Context): Promise<ObjectRow & { ssec?: CustomerKey }> {
  const row = await addressedObject(c);
  if (!row) throw new ApiError("FileNotExist", "The specified key does not exist.");
  return { ...row, ssec: keyForStored(row.ssecKeyMd5, await customerKeyOf(c.request.headers)) };
}

/** 304 answers carry the validators and nothing else. */
const notModified = (headers: Headers) => {
  const h = new Headers();
  for (const name of ["ETag", "Last-Modified"]) h.set(name, headers.get(name)!);
  return new Response(null, { status: 304, headers: h });
};

/**
 * What GetObject and HeadObject share: the object, its headers, and a 304 when the request's
 * conditions say so. An object's encryption is chosen when it is written: AWS refuses the
 * encryption header on a read.
 */
async function readAnswer(c: S3Context): Promise<{ row: ObjectRow & { ssec?: CustomerKey }; headers: Headers; notModified?: Response }> {
  if (c.request.headers.has("x-amz-server-side-encryption")) {
    throw new ApiError("InvalidArgument", "x-amz-server-side-encryption header is not supported for this operation.");
  }
  const row = await existing(c);
  const headers = s3ObjectHeaders(row, c.now);
  expirationHeader(headers, servedBucket(c), row);
  return { row, headers, notModified: checkS3Preconditions(c.request.headers, row) === "notModified" ? notModified(headers) : undefined };
}

export async function getObjectOp(c: S3Context): Promise<Response> {
  const { row, headers, notModified } = await readAnswer(c);
  if (notModified) return notModified;
  assertNotOwing(servedBucket(c));
  if (!isReadable(row, c.now)) throw new ApiError("NotRestored", "The operation is not valid for the object's storage class (restore it first).");
  applyResponseOverrides(headers, c.query, c.principal.kind === "anonymous");
  const response = await spanResponse(c.env, row, readSpan(c, row, headers), headers, row.ssec?.key);
  if (!response) throw new Error(`blob ${row.blobId} of ${c.bucketName}/${c.key} is missing from R2`);
  sentObject(c, row, response);
  return response;
}

export async function headObject(c: S3Context): Promise<Response> {
  const { row, headers, notModified } = await readAnswer(c);
  if (notModified) return notModified;
  applyResponseOverrides(headers, c.query, c.principal.kind === "anonymous");
  const range = readSpan(c, row, headers);
  if (range) {
    headers.set("Content-Range", `bytes ${range.start}-${range.end}/${row.size}`);
    headers.set("Content-Length", String(range.end - range.start + 1));
    return new Response(null, { status: 206, headers });
  }
  headers.set("Content-Length", String(row.size));
  return new Response(null, { status: 200, headers });
}

/**
 * DeleteObject answers 204 whether or not the key existed, as S3; an existing object that fails
 * the request's conditions (./delete-conditions.ts) is kept: 412.
 */
export async function deleteObjectOp(c: S3Context): Promise<Response> {
  const result = await deleteIfMeets(c.db, servedBucket(c).id, c.key, deleteObjectCondition(c.request.headers));
  releaseBlobs(c, result.released);
  return new Response(null, { status: 204 });
}

// ───────────────────────── DeleteObjects ─────────────────────────

const MAX_DELETE_BODY = 2 * 1024 * 1024;
const MAX_DELETE_KEYS = 1000;

/** The Delete body's bytes must match its `x-amz-checksum-*` header, when sent (its `Content-MD5`: xml.ts, as every XML body). */
async function verifyDeleteBody(headers: Headers, raw: Uint8Array): Promise<void> {
  const sent = checksumFromHeaders(headers);
  if (sent) {
    if ((await checksumBase64(sent.algorithm, raw)) !== sent.value) throw new ApiError("BadDigest");
  }
}

/** One `<Object>` of a Delete body: its key and its conditions (`<ETag>`, `<LastModifiedTime>`, `<Size>`), still unparsed. */
interface DeleteEntry {
  key: string;
  condition: () => DeleteCondition;
}

async function deleteRequestKeys(c: S3Context): Promise<{ entries: DeleteEntry[]; quiet: boolean }> {
  const root = await readXmlDocument(c.request, MAX_DELETE_BODY, "Delete", (raw) => verifyDeleteBody(c.request.headers, raw));
  const entries = childrenNamed(root, "Object").map((o) => {
    const key = o.children.find((k) => k.name === "Key")?.text;
    if (key === undefined || key === "") throw malformedXml("an <Object> without <Key>");
    const version = childText(o, "VersionId");
    if (version && version !== "null") throw new ApiError("NotImplemented", "versioning is not supported: the only version of an object is VersionId null");
    return { key, condition: () => deleteEntryCondition((name) => childText(o, name)) };
  });
  if (entries.length === 0 || entries.length > MAX_DELETE_KEYS) throw malformedXml(`a Delete lists 1 to ${MAX_DELETE_KEYS} objects`);
  return { entries, quiet: (childText(root, "Quiet") ?? "").toLowerCase() === "true" };
}

/**
 * `POST /?delete`: each key is authorized (the row's rights) and deleted on its own, under its own
 * conditions; failures are listed with their S3 code (AccessDenied, PreconditionFailed,
 * InvalidArgument for a malformed condition), not thrown.
 */
export async function deleteObjects(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  const { entries, quiet } = await deleteRequestKeys(c);
  const results: XmlNode[] = [];
  for (const { key, condition } of entries) {
    try {
      await authorizeBodyKey(c, c.principal, key);
      const result = await deleteIfMeets(c.db, bucket.id, key, condition());
      releaseBlobs(c, result.released);
      if (!quiet) results.push(["Deleted", ["Key", key]]);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results.push(["Error", ["Key", key], ["Code", s3CodeOf(err).code], ["Message", err.detail ?? err.entry.en]]);
    }
  }
  return xmlResponse(["DeleteResult", results]);
}

// ───────────────────────── CopyObject ─────────────────────────

/**
 * The source row, its copy preconditions (`x-amz-copy-source-if-*`: every failure is 412), its
 * readability, and the customer key its bytes need (`x-amz-copy-source-server-side-encryption-customer-*`).
 */
export async function copySourceRow(c: S3Context): Promise<{ source: CopySource; row: ObjectRow; ssec?: CustomerKey }> {
  const source = await copySource(c);
  const row = await getObject(c.db, source.bucket.id, source.key);
  if (!row) throw new ApiError("FileNotExist", "The specified key does not exist.");
  if (checkS3Preconditions(c.request.headers, row, "x-amz-copy-source-") === "notModified") {
    throw new ApiError("PreconditionFailed", "x-amz-copy-source-If-None-Match / If-Modified-Since");
  }
  if (!isReadable(row, c.now)) throw new ApiError("NotRestored", "The source object must be restored before it can be copied.");
  return { source, row, ssec: keyForStored(row.ssecKeyMd5, await customerKeyOf(c.request.headers, SSEC_COPY_SOURCE_HEADERS), true) };
}

export async function copyObjectOp(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  assertValidKey(c.key);
  assertNotOwing(bucket);
  const acl = await requestedObjectAcl(c.db, c.request.headers, bucket);
  const { source, row, ssec: sourceKey } = await copySourceRow(c);
  const targetKey = await customerKeyOf(c.request.headers);
  // Another encryption than the source's (SSE-C on one side only, or another key) cannot share its blob.
  const reencrypt = (targetKey?.md5 ?? "") !== row.ssecKeyMd5;
  const directive = (c.request.headers.get("x-amz-metadata-directive") ?? "COPY").trim().toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") throw new ApiError("InvalidArgument", "Unknown metadata directive.");
  const storageClass = requestedS3StorageClass(c.request.headers, row.storageClass);
  if (source.bucket.id === bucket.id && source.key === c.key && directive === "COPY" && !c.request.headers.has("x-amz-storage-class") && !reencrypt) {
    throw new ApiError(
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const tagging = (c.request.headers.get("x-amz-tagging-directive") ?? "COPY").trim().toUpperCase();
  if (tagging !== "COPY" && tagging !== "REPLACE") throw new ApiError("InvalidArgument", "Unknown tagging directive.");
  const tags = tagging === "REPLACE" ? (requestedTags(c.request.headers) ?? NO_TAGS) : undefined;
  const meta = { ...(directive === "REPLACE" ? requestedS3Meta(c.request.headers, storageClass) : { storageClass }), tags, acl };
  if (reencrypt) return copyReencrypted(c, row, sourceKey, targetKey, meta);
  const mode = writeModeOf(c.principal, c.request.headers);
  const result = await copyObject(c.db, { bucketId: source.bucket.id, key: source.key }, { bucketId: bucket.id, key: c.key }, () => meta, row, c.now, mode);
  releaseBlobs(c, result.released);
  await explainUnwritten(c.db, bucket.id, c.key, result, mode, () => new ApiError("FileNotExist", "The copy source changed meanwhile; retry."), c.request.headers);
  const response = xmlResponse(["CopyObjectResult", ["LastModified", isoTime(c.now)], ["ETag", s3Etag(row)]]);
  customerKeyHeaders(response.headers, row.ssecKeyMd5);
  expirationHeader(response.headers, bucket, { key: c.key, size: row.size, tags: meta.tags ?? row.tags, modifiedAt: c.now });
  return response;
}

/**
 * A copy whose target is encrypted otherwise than its source (core/sse-c.ts): the bytes are read
 * with the source's customer key (if any) and stored as a new blob with the target's (if any).
 * The new blob is single-part: a full-object checksum still holds, a composite one does not.
 */
async function copyReencrypted(c: S3Context, row: ObjectRow, sourceKey: CustomerKey | undefined, targetKey: CustomerKey | undefined, meta: Partial<ObjectMeta> & { storageClass: string }): Promise<Response> {
  const bucket = servedBucket(c);
  const source = row.size === 0 ? null : await getBlob(c.env, row.blobId, undefined, sourceKey?.key);
  if (row.size > 0 && !source) throw new ApiError("FileNotExist", "The copy source changed meanwhile; retry.");
  const body = source ? { size: row.size, stream: source.body } : { size: 0, buffered: new Uint8Array(0) };
  const blob = await storeBlob(c.env, newBlobId(), body, { storageClass: meta.storageClass, ssec: targetKey });
  const full: ObjectMeta = {
    mime: meta.mime ?? row.mime,
    storageClass: meta.storageClass,
    userMeta: meta.userMeta ?? JSON.parse(row.userMeta),
    httpHeaders: meta.httpHeaders ?? JSON.parse(row.httpHeaders),
    tags: meta.tags ?? row.tags,
    acl: meta.acl,
  };
  const checksum = parseStoredChecksum(row.checksum)?.type === "FULL_OBJECT" ? row.checksum : "";
  await publishS3(c, c.principal, bucket.id, c.key, { ...blob, checksum }, full);
  const response = xmlResponse(["CopyObjectResult", ["LastModified", isoTime(c.now)], ["ETag", `"${blob.s3Etag}"`]]);
  customerKeyHeaders(response.headers, blob.ssecKeyMd5 ?? "");
  expirationHeader(response.headers, bucket, { key: c.key, size: row.size, tags: full.tags ?? NO_TAGS, modifiedAt: c.now });
  return response;
}
