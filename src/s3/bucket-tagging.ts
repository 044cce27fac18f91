import { ApiError } from "../errors";
import type { Tag } from "../core/tags";
import { setBucketTags } from "../store/buckets";
import { servedBucket, type S3Context } from "./context";
import { checkTagSet, readTaggingBody, taggingResponse } from "./tagging";

/**
 * S3 Put/Get/DeleteBucketTagging (`?tagging` on a bucket): the bucket's tags, kept in its control
 * row (`buckets.tags`). S3's limits: at most 50 tags, keys 1-128 and values 0-256 characters of
 * the object tags' alphabet, unique keys, none in the reserved `aws:` namespace (InvalidTag).
 */

const MAX_BUCKET_TAGS = 50;

function checkBucketTags(tags: Tag[]): Tag[] {
  checkTagSet(tags, MAX_BUCKET_TAGS, "Bucket");
  if (tags.some((t) => t.Key.toLowerCase().startsWith("aws:"))) throw new ApiError("InvalidTag", "System tags cannot be added/updated by requester (the aws: prefix is reserved)");
  return tags;
}

export async function putBucketTagging(c: S3Context): Promise<Response> {
  const tags = await readTaggingBody(c, checkBucketTags);
  await setBucketTags(c.db, servedBucket(c), JSON.stringify(tags), c.now);
  return new Response(null, { status: 204 });
}

export async function getBucketTagging(c: S3Context): Promise<Response> {
  const tags = JSON.parse(servedBucket(c).tags) as Tag[];
  if (tags.length === 0) throw new ApiError("NoSuchTagSet", "There is no tag set associated with the bucket.");
  return taggingResponse(tags);
}

export async function deleteBucketTagging(c: S3Context): Promise<Response> {
  await setBucketTags(c.db, servedBucket(c), "[]", c.now);
  return new Response(null, { status: 204 });
}
