import { ApiError } from "../errors";
import { NO_TAGS, updateObject } from "../store/objects";
import { TAG_CHARS, TAG_LIMITS, type Tag } from "../core/tags";
import { addressedObject, servedBucket, type S3Context } from "./context";
import { childrenNamed, childText, malformedXml, parseXmlDocument, readXmlDocument, xmlResponse, type XmlElement } from "./xml";

/**
 * S3 object tagging over the tags the UFile plane keeps in each object's index row (one set,
 * both APIs see it): `GET|PUT|DELETE /<bucket>/<key>?tagging`, the `x-amz-tagging` header of
 * PutObject, CreateMultipartUpload (kept by the upload until it completes) and CopyObject (with `x-amz-tagging-directive`), and
 * `x-amz-tagging-count` on GET/HEAD. S3's rules: at most 10 tags, unique keys of 1-128
 * characters, values of 0-256, letters, digits, spaces and `+ - = . _ : / @`.
 */

const MAX_TAGS = TAG_LIMITS.count;
const MAX_TAGGING_BODY = 64 * 1024;

const invalidTag = (why: string) => new ApiError("InvalidTag", why);

/** S3's checks of a tag set, in order given (`max`: 10 tags on an object, 50 on a bucket). */
export function checkTagSet(tags: Tag[], max: number = MAX_TAGS, of = "Object"): Tag[] {
  if (tags.length > max) throw invalidTag(`${of} tags cannot be greater than ${max}`);
  const seen = new Set<string>();
  for (const { Key, Value } of tags) {
    if (Key === "" || [...Key].length > TAG_LIMITS.keyChars) throw invalidTag(`The TagKey you have provided is invalid (1 to ${TAG_LIMITS.keyChars} characters)`);
    if ([...Value].length > TAG_LIMITS.valueChars) throw invalidTag(`The TagValue you have provided is invalid (at most ${TAG_LIMITS.valueChars} characters)`);
    if (!TAG_CHARS.test(Key) || !TAG_CHARS.test(Value)) throw invalidTag("Tags may hold letters, digits, spaces and + - = . _ : / @");
    if (seen.has(Key)) throw invalidTag("Cannot provide multiple Tags with the same key");
    seen.add(Key);
  }
  return tags;
}

/** `x-amz-tagging: k1=v1&k2=v2` (URL query encoding) → tags; null when the header is absent. */
export function taggingHeader(headers: Headers): Tag[] | null {
  const raw = headers.get("x-amz-tagging");
  if (raw === null) return null;
  return checkTagSet([...new URLSearchParams(raw)].map(([Key, Value]) => ({ Key, Value })));
}

/** The stored JSON of the tags a write names (`x-amz-tagging`), or undefined to use the default. */
export function requestedTags(headers: Headers): string | undefined {
  const tags = taggingHeader(headers);
  return tags === null ? undefined : JSON.stringify(tags);
}

/** `x-amz-tagging-count` for GET/HEAD, when the object has tags. */
export function tagCountHeader(headers: Headers, storedTags: string): void {
  if (storedTags === NO_TAGS) return; // most objects: no parse
  const count = (JSON.parse(storedTags) as Tag[]).length;
  if (count > 0) headers.set("x-amz-tagging-count", String(count));
}

function tagsOf(el: XmlElement): Tag[] {
  const set = childrenNamed(el, "TagSet");
  if (set.length !== 1) throw malformedXml("a Tagging needs one <TagSet>");
  return childrenNamed(set[0], "Tag").map((t) => {
    const Key = childText(t, "Key");
    if (Key === undefined) throw malformedXml("a <Tag> without <Key>");
    return { Key, Value: childText(t, "Value") ?? "" };
  });
}

/** A POST form's `tagging` field: a `<Tagging>` document (the form field is bounded by core/form.ts), checked as PutObjectTagging's. */
export const formTagging = (text: string): string => JSON.stringify(checkTagSet(tagsOf(parseXmlDocument(text, "Tagging"))));

/** A `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` body, checked by `check`. */
export async function readTaggingBody(c: S3Context, check: (tags: Tag[]) => Tag[] = checkTagSet): Promise<Tag[]> {
  return check(tagsOf(await readXmlDocument(c.request, MAX_TAGGING_BODY, "Tagging")));
}

/** The `<Tagging>` answer of a tag set. */
export const taggingResponse = (tags: Tag[]): Response =>
  xmlResponse(["Tagging", ["TagSet", tags.map((t) => ["Tag", ["Key", t.Key], ["Value", t.Value]])]]);

const byKey = (a: Tag, b: Tag): number => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0);

export async function getObjectTaggingOp(c: S3Context): Promise<Response> {
  const row = await addressedObject(c);
  if (!row) throw new ApiError("FileNotExist", "The specified key does not exist.");
  // Sorted by key, as S3 answers; the set is kept in the order given (the UFile API shows that order).
  return taggingResponse((JSON.parse(row.tags) as Tag[]).sort(byKey));
}

export async function putObjectTaggingOp(c: S3Context): Promise<Response> {
  const tags = await readTaggingBody(c);
  if (!(await updateObject(c.db, servedBucket(c).id, c.key, { tags: JSON.stringify(tags) }))) {
    throw new ApiError("FileNotExist", "The specified key does not exist.");
  }
  return new Response(null, { status: 200 });
}

export async function deleteObjectTaggingOp(c: S3Context): Promise<Response> {
  if (!(await updateObject(c.db, servedBucket(c).id, c.key, { tags: NO_TAGS }))) {
    throw new ApiError("FileNotExist", "The specified key does not exist.");
  }
  return new Response(null, { status: 204 });
}
