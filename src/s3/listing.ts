import { ApiError } from "../errors";
import { listPage, type ListEntry } from "../core/listing";
import { fromBase64, toBase64, utf8 } from "../crypto";
import { ownerNode } from "./buckets";
import { servedBucket, type S3Context } from "./context";
import { isoTime, s3Etag, s3StorageClass } from "./object-headers";
import { uriEncode } from "./sigv4";
import { xmlResponse, type XmlChild, type XmlNode } from "./xml";

/** ListObjects (V1), ListObjectsV2 and ListObjectVersions over the shared listing core. */

const MAX_KEYS = 1000;

function maxKeysParam(c: S3Context): number {
  const raw = c.query.get("max-keys");
  if (raw === null || raw === "") return MAX_KEYS;
  if (!/^\d{1,9}$/.test(raw)) throw new ApiError("InvalidArgument", "Provided max-keys not an integer or within integer range");
  return Math.min(Number(raw), MAX_KEYS);
}

function encodingParam(c: S3Context): (s: string) => string {
  const enc = c.query.get("encoding-type");
  if (enc === null || enc === "") return (s) => s;
  if (enc.toLowerCase() !== "url") throw new ApiError("InvalidArgument", "Invalid Encoding Method specified in Request");
  return (s) => uriEncode(s, true);
}

/** The entries of a page plus what both versions render. */
async function page(c: S3Context, marker: string) {
  const prefix = c.query.get("prefix") ?? "";
  const delimiter = c.query.get("delimiter") ?? "";
  const maxKeys = maxKeysParam(c);
  const { entries, truncated } =
    maxKeys === 0 ? { entries: [] as ListEntry[], truncated: false } : await listPage(c.db, servedBucket(c).id, { prefix, marker, delimiter, maxKeys, listPrefixKey: true });
  const last = entries[entries.length - 1];
  const lastName = last ? ("row" in last ? last.row.key : last.commonPrefix) : "";
  return { prefix, delimiter, maxKeys, entries, truncated, lastName, encode: encodingParam(c) };
}

function contents(c: S3Context, entries: ListEntry[], encode: (s: string) => string, withOwner: boolean): XmlChild[] {
  const ownerId = servedBucket(c).projectId;
  return entries.map((e): XmlChild =>
    "row" in e
      ? [
          "Contents",
          ["Key", encode(e.row.key)],
          ["LastModified", isoTime(e.row.modifiedAt)],
          ["ETag", s3Etag(e.row)],
          ["Size", e.row.size],
          withOwner ? ownerNode(ownerId) : null,
          ["StorageClass", s3StorageClass(e.row.storageClass)],
        ]
      : ["CommonPrefixes", ["Prefix", encode(e.commonPrefix)]],
  );
}

/**
 * Shared head of the results. With `encoding-type=url` the top-level Prefix is encoded in V2
 * only: V1 clients (botocore, the aws CLI) decode Marker, NextMarker, Delimiter, keys and common
 * prefixes, but not the Prefix they sent, as S3 does.
 */
const head = (c: S3Context, p: Awaited<ReturnType<typeof page>>, v1 = false): XmlNode[] => [
  ["Name", servedBucket(c).name],
  ["Prefix", v1 ? p.prefix : p.encode(p.prefix)],
  ...(p.delimiter ? [["Delimiter", p.encode(p.delimiter)] as XmlNode] : []),
  ["MaxKeys", p.maxKeys],
  ...(c.query.has("encoding-type") ? [["EncodingType", "url"] as XmlNode] : []),
  ["IsTruncated", p.truncated],
];

export async function listObjectsV1(c: S3Context): Promise<Response> {
  const marker = c.query.get("marker") ?? "";
  const p = await page(c, marker);
  return xmlResponse([
    "ListBucketResult",
    ...head(c, p, true),
    ["Marker", p.encode(marker)],
    p.truncated ? ["NextMarker", p.encode(p.lastName)] : null,
    contents(c, p.entries, p.encode, true),
  ]);
}

/** Continuation tokens are opaque to clients: base64 of the last key returned. */
const toToken = (key: string) => toBase64(utf8(key));
function fromToken(token: string): string {
  const bytes = fromBase64(token);
  if (!bytes) throw new ApiError("InvalidArgument", "The continuation token provided is incorrect");
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("InvalidArgument", "The continuation token provided is incorrect");
  }
}

export async function listObjectsV2(c: S3Context): Promise<Response> {
  const token = c.query.get("continuation-token");
  const startAfter = c.query.get("start-after") ?? "";
  const after = token !== null && token !== "" ? fromToken(token) : startAfter;
  const p = await page(c, after);
  const fetchOwner = (c.query.get("fetch-owner") ?? "").toLowerCase() === "true";
  return xmlResponse([
    "ListBucketResult",
    ...head(c, p),
    ["KeyCount", p.entries.length],
    token !== null ? ["ContinuationToken", token] : null,
    p.truncated ? ["NextContinuationToken", toToken(p.lastName)] : null,
    startAfter !== "" ? ["StartAfter", p.encode(startAfter)] : null,
    contents(c, p.entries, p.encode, fetchOwner),
  ]);
}

/**
 * ListObjectVersions of a bucket without versioning, as S3 answers for one: every object is its
 * one version, `null`, and the latest. `key-marker` resumes after that key (its only version
 * was listed); `version-id-marker` may only name that version.
 */
export async function listObjectVersions(c: S3Context): Promise<Response> {
  const keyMarker = c.query.get("key-marker") ?? "";
  const versionMarker = c.query.get("version-id-marker") ?? "";
  if (versionMarker !== "" && versionMarker !== "null") throw new ApiError("InvalidArgument", "Invalid version id specified");
  if (versionMarker !== "" && keyMarker === "") throw new ApiError("InvalidArgument", "A version-id marker cannot be specified without a key marker.");
  const p = await page(c, keyMarker);
  const ownerId = servedBucket(c).projectId;
  return xmlResponse([
    "ListVersionsResult",
    ...head(c, p),
    ["KeyMarker", p.encode(keyMarker)],
    ["VersionIdMarker", versionMarker],
    p.truncated ? ["NextKeyMarker", p.encode(p.lastName)] : null,
    p.truncated ? ["NextVersionIdMarker", "null"] : null,
    p.entries.map((e): XmlChild =>
      "row" in e
        ? [
            "Version",
            ["Key", p.encode(e.row.key)],
            ["VersionId", "null"],
            ["IsLatest", true],
            ["LastModified", isoTime(e.row.modifiedAt)],
            ["ETag", s3Etag(e.row)],
            ["Size", e.row.size],
            ownerNode(ownerId),
            ["StorageClass", s3StorageClass(e.row.storageClass)],
          ]
        : ["CommonPrefixes", ["Prefix", p.encode(e.commonPrefix)]],
    ),
  ]);
}
