import { nowSeconds } from "../config";
import { assertOwnershipFits, isReservedBucketName, isValidBucketName, removeBucket } from "../core/buckets";
import { ApiError } from "../errors";
import {
  bucketInProject,
  insertBucket,
  listBuckets,
  setBucketType,
  withIndexTotals,
  type BucketRow,
  type BucketType,
} from "../store/buckets";
import { bucketRules } from "../store/rules";
import type { ControlAction, ControlContext } from "./context";
import type { Params } from "./params";

/** Bucket actions: spec 000 §1-4, docs/protocol.md §3.5. */

function parseType(raw: string | undefined, fallback?: BucketType): BucketType {
  if (raw === undefined && fallback) return fallback;
  if (raw === undefined) throw new ApiError("MissingParameter", "Type is required");
  if (raw !== "public" && raw !== "private") throw new ApiError("InvalidType", "Type must be public or private");
  return raw;
}

async function existingBucket(c: ControlContext, name: string): Promise<BucketRow> {
  const bucket = await bucketInProject(c.db, c.projectId, name);
  if (!bucket) throw new ApiError("BucketNotFound", name);
  return bucket;
}

/**
 * UFileBucketSet (docs/protocol.md §3.5), plus edgefile fields the SDKs ignore (described there too):
 * `StoredBytes` (sum of object sizes and open uploads' parts), `StoredBytesByClass` (that sum
 * split into STANDARD, IA and ARCHIVE, which counts COLD too) and `ObjectCount`, all exact as of the
 * last write; and (§3.6) the referer rule as SetUFileReferer takes it and the CORS rules (S3's
 * shape), since no UFile action reads them back.
 */
export function bucketSet(b: BucketRow, fileDomain: string) {
  const { referer, cors } = bucketRules(b);
  return {
    BucketName: b.name,
    BucketId: b.id,
    Domain: { Src: [`${b.name}.${fileDomain}`], Cdn: [], CustomSrc: [], CustomCdn: [] },
    CdnDomainId: [],
    // The UFile API knows public and private; a public-read-write bucket (S3 canned ACL) is public to it.
    Type: b.type === "private" ? "private" : "public",
    CreateTime: b.createdAt,
    ModifyTime: b.modifiedAt,
    Biz: b.biz,
    Region: b.region,
    Tag: b.tag,
    HasUserDomain: 0,
    StoredBytes: b.storedBytes,
    StoredBytesByClass: { STANDARD: b.storedBytes - b.iaBytes - b.archiveBytes, IA: b.iaBytes, ARCHIVE: b.archiveBytes },
    ObjectCount: b.objectCount,
    Referer: referer
      ? { RefererStatus: "on", RefererType: referer.type, Referers: referer.referers, RefererAllowNull: referer.allowEmpty }
      : { RefererStatus: "off" },
    CORSRules: cors.map((r) => ({
      ID: r.id,
      AllowedOrigins: r.allowedOrigins,
      AllowedMethods: r.allowedMethods,
      AllowedHeaders: r.allowedHeaders,
      ExposeHeaders: r.exposeHeaders,
      ...(r.maxAgeSeconds === null ? {} : { MaxAgeSeconds: r.maxAgeSeconds }),
    })),
  };
}

export const createBucket: ControlAction = async (c) => {
  const name = c.params.required("BucketName");
  if (!isValidBucketName(name)) throw new ApiError("BucketNameInvalid", name);
  if (isReservedBucketName(name, c.settings)) throw new ApiError("BucketNameInvalid", `${name} is reserved: its host is the console's`);
  const type = parseType(c.params.nonEmpty("Type"), "private");
  const bucket = await insertBucket(c.db, { name, projectId: c.projectId, region: c.region, type, now: nowSeconds() });
  if (!bucket) throw new ApiError("BucketNameTaken", name);
  return { BucketName: bucket.name, BucketId: bucket.id };
};

/**
 * The bucket a control request names: `BucketName`, or `Name`, DescribeBucket's parameter in the
 * vendor document (docs/protocol.md §9). Its D1 session is scoped to it (control/index.ts).
 */
export const namedBucket = (params: Params): string | undefined => params.nonEmpty("BucketName") ?? params.nonEmpty("Name");

export const describeBucket: ControlAction = async (c) => {
  const name = namedBucket(c.params);
  if (name !== undefined) {
    const counted = await withIndexTotals(c.db, [await existingBucket(c, name)]);
    return { DataSet: [bucketSet(counted[0], c.settings.fileDomain)] };
  }
  const offset = c.params.int("Offset") ?? 0;
  const limit = c.params.int("Limit") ?? 20;
  if (offset < 0 || limit < 0 || limit > 1000) throw new ApiError("ParameterOutOfRange", "Offset >= 0, 0 <= Limit <= 1000");
  const rows = await listBuckets(c.db, c.projectId, offset, limit);
  return { DataSet: rows.map((b) => bucketSet(b, c.settings.fileDomain)) };
};

export const updateBucket: ControlAction = async (c) => {
  const name = c.params.required("BucketName");
  const type = parseType(c.params.nonEmpty("Type"));
  const existing = await existingBucket(c, name);
  // S3 Object Ownership BucketOwnerEnforced keeps a bucket private on every front (core/buckets.ts).
  assertOwnershipFits(bucketRules(existing).ownership, type);
  const bucket = await setBucketType(c.db, existing, type, nowSeconds());
  return { BucketName: bucket.name, BucketId: bucket.id };
};

export const deleteBucket: ControlAction = async (c) => {
  const name = c.params.required("BucketName");
  const bucket = await existingBucket(c, name);
  await removeBucket(c.env, c.db, bucket, c.settings.bucketMinAgeSeconds, nowSeconds());
  return { BucketName: bucket.name, BucketId: bucket.id };
};
