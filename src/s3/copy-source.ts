import { ApiError } from "../errors";
import { bucketByName, type ServedBucket } from "../store/buckets";
import type { S3Context } from "./context";
import { checkExpectedOwner } from "./expected-owner";

/** The source of a CopyObject or UploadPartCopy: the `x-amz-copy-source` header, parsed and its bucket loaded. */

export interface CopySource {
  bucket: ServedBucket;
  key: string;
}

/** `x-amz-copy-source: [/]<bucket>/<key>[?versionId=null]`, URL-encoded. */
export function parseCopySource(c: S3Context): { bucket: string; key: string } {
  const raw = (c.request.headers.get("x-amz-copy-source") ?? "").trim();
  const [path, query = ""] = raw.split("?");
  const version = new URLSearchParams(query).get("versionId");
  if (version !== null && version !== "null") throw new ApiError("NotImplemented", "versioning is not supported");
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new ApiError("InvalidArgument", "Invalid copy source encoding.");
  }
  const rest = decoded.startsWith("/") ? decoded.slice(1) : decoded;
  const slash = rest.indexOf("/");
  if (slash <= 0 || slash === rest.length - 1) throw new ApiError("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.");
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

const copySourceCache = new WeakMap<S3Context, Promise<CopySource>>();

/** The copy source's bucket (loaded once per request: the access check and the handler share it). */
export function copySource(c: S3Context): Promise<CopySource> {
  let hit = copySourceCache.get(c);
  if (!hit) {
    hit = (async () => {
      const { bucket, key } = parseCopySource(c);
      const found = await bucketByName(c.db, bucket);
      if (!found) throw new ApiError("BucketNotExist", `The specified copy source bucket does not exist: ${bucket}`);
      checkExpectedOwner(c.request.headers, "x-amz-source-expected-bucket-owner", found);
      return { bucket: found, key };
    })();
    copySourceCache.set(c, hit);
  }
  return hit;
}
