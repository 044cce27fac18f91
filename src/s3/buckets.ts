import { nowSeconds } from "../config";
import { isReservedBucketName, isValidBucketName, removeBucket } from "../core/buckets";
import { ApiError } from "../errors";
import { readBounded } from "../body";
import { bucketByName, insertBucket, listBuckets } from "../store/buckets";
import { requestedBucketType } from "./acl";
import { servedBucket, type S3Context } from "./context";
import { isoTime } from "./object-headers";
import { childText, parseXml, xmlResponse, XmlParseError, type XmlNode } from "./xml";

/**
 * Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.
 * Buckets are the UFile buckets (same names, rules, projects); the root key acts in
 * DEFAULT_PROJECT_ID when it creates one, and lists every project's buckets.
 */

/** Most buckets one ListBuckets answers (S3 accounts hold at most 1 000 by default). */
const LIST_LIMIT = 10_000;

/** `<Owner>`: projects are the owners S3 clients see. */
export const ownerNode = (id: string): XmlNode => ["Owner", ["ID", id], ["DisplayName", id]];

export async function listAllBuckets(c: S3Context): Promise<Response> {
  const p = c.principal;
  const rows =
    p.kind === "root"
      ? await listBuckets(c.db, null, 0, LIST_LIMIT)
      : p.kind === "token"
        ? (await listBuckets(c.db, p.scope.projectId, 0, LIST_LIMIT)).filter(
            (b) => p.scope.allowedBuckets.includes("*") || p.scope.allowedBuckets.includes(b.name),
          )
        : [];
  const ownerId = p.kind === "token" ? p.scope.projectId : c.settings.defaultProjectId;
  return xmlResponse([
    "ListAllMyBucketsResult",
    ownerNode(ownerId),
    ["Buckets", rows.map((b) => ["Bucket", ["Name", b.name], ["CreationDate", isoTime(b.createdAt)], ["BucketRegion", b.region]])],
  ]);
}

/** The optional CreateBucketConfiguration body: any LocationConstraint is accepted (buckets live in DEFAULT_REGION). */
async function readLocationConstraint(c: S3Context): Promise<void> {
  const raw = await readBounded(c.request.body, 64 * 1024);
  if (raw === null) throw new ApiError("MalformedXML", "the CreateBucketConfiguration body is larger than 64 KiB");
  const text = new TextDecoder().decode(raw).trim();
  if (text === "") return;
  try {
    const root = parseXml(text);
    if (root.name !== "CreateBucketConfiguration") throw new XmlParseError(`unexpected <${root.name}>`);
    childText(root, "LocationConstraint");
  } catch (err) {
    if (err instanceof XmlParseError) throw new ApiError("MalformedXML", err.message);
    throw err;
  }
}

export async function createBucket(c: S3Context): Promise<Response> {
  const name = c.bucketName;
  if (!isValidBucketName(name)) throw new ApiError("BucketNameInvalid", `The specified bucket is not valid: ${name}`);
  if (isReservedBucketName(name, c.settings)) throw new ApiError("BucketNameInvalid", `The specified bucket is reserved (its host is the console's): ${name}`);
  const type = requestedBucketType(c.request.headers);
  await readLocationConstraint(c);
  const projectId = c.settings.defaultProjectId;
  const created = await insertBucket(c.db, { name, projectId, region: c.settings.defaultRegion, type, now: nowSeconds() });
  if (!created) {
    const existing = await bucketByName(c.db, name);
    // As AWS: us-east-1 (and SigV2, which names no region) answers 200 to re-creating your own
    // bucket, changing nothing; every other region answers BucketAlreadyOwnedByYou.
    if (existing?.projectId === projectId) {
      if ((c.auth?.region ?? "us-east-1") === "us-east-1") return new Response(null, { status: 200, headers: { Location: `/${name}` } });
      throw new ApiError("BucketAlreadyOwnedByYou");
    }
    throw new ApiError("BucketNameTaken", "The requested bucket name is not available. The bucket namespace is shared by all users of the system.");
  }
  return new Response(null, { status: 200, headers: { Location: `/${name}` } });
}

export async function headBucket(c: S3Context): Promise<Response> {
  const b = servedBucket(c);
  return new Response(null, { status: 200, headers: { "x-amz-bucket-region": b.region } });
}

export async function getBucketLocation(c: S3Context): Promise<Response> {
  return xmlResponse(["LocationConstraint", servedBucket(c).region]);
}

export async function deleteBucket(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  await removeBucket(c.env, c.db, bucket, c.settings.bucketMinAgeSeconds, c.now);
  return new Response(null, { status: 204 });
}
