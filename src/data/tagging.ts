import { readBounded } from "../body";
import { ApiError } from "../errors";
import { json } from "../responses";
import { NO_TAGS, updateObject } from "../store/objects";
import { requestedObject, type DataContext } from "./context";
import { TAG_CHARS, TAG_LIMITS, type Tag } from "../core/tags";

/**
 * Object tagging (Go `PutObjectTagging` / `GetObjectTagging` / `DeleteObjectTagging`:
 * `PUT|GET|DELETE /key?tagging`, body and answer `{"Tags": [{"Key": …, "Value": …}]}`), stored in the
 * object's index row. US3's rules (guide/object_tagging.md): at most 10 tags per object, keys
 * unique, key and value non-empty, key ≤ 128 and value ≤ 256 characters, made of letters, digits,
 * spaces and `+ - = . _ : / @` (core/tags.ts `TAG_CHARS`, S3's set, so a tag set over either API can be
 * written back over the other). A PUT replaces the whole set. Copy keeps the source's tags, Rename
 * keeps them, a new upload (PutFile, PostFile, Finish, UploadHit) starts without tags.
 */

/** 10 tags of 128 + 256 characters (4 bytes each at worst) and the JSON around them. */
const MAX_TAGGING_BODY = 64 * 1024;

const invalid = (why: string) => new ApiError("InvalidRequest", `invalid tagging: ${why}`);

/** Validates a `{"Tags": [...]}` document and returns the tags in the order given. */
export function parseTagSet(doc: unknown): Tag[] {
  const tags = (doc as { Tags?: unknown } | null)?.Tags;
  if (!Array.isArray(tags)) throw invalid('the body must be {"Tags": [{"Key": "…", "Value": "…"}]}');
  if (tags.length > TAG_LIMITS.count) throw invalid(`at most ${TAG_LIMITS.count} tags per object, ${tags.length} given`);
  const seen = new Set<string>();
  return tags.map((tag: unknown, i) => {
    const { Key, Value } = (tag ?? {}) as Record<string, unknown>;
    if (typeof Key !== "string" || typeof Value !== "string") throw invalid(`tag #${i + 1} needs a string Key and a string Value`);
    const checks: [boolean, string][] = [
      [Key.length > 0 && Value.length > 0, `tag #${i + 1}: Key and Value may not be empty`],
      [[...Key].length <= TAG_LIMITS.keyChars, `tag "${Key.slice(0, 32)}…": a Key has at most ${TAG_LIMITS.keyChars} characters`],
      [[...Value].length <= TAG_LIMITS.valueChars, `tag "${Key}": a Value has at most ${TAG_LIMITS.valueChars} characters`],
      [TAG_CHARS.test(Key) && TAG_CHARS.test(Value), `tag "${Key}": only letters, digits, spaces and + - = . _ : / @ are allowed`],
      [!seen.has(Key), `the Key "${Key}" appears twice`],
    ];
    const failed = checks.find(([ok]) => !ok);
    if (failed) throw invalid(failed[1]);
    seen.add(Key);
    return { Key, Value };
  });
}

/** `PUT /key?tagging`, body `{"Tags": [...]}` → 200, empty. Replaces the object's tags. */
export async function putObjectTagging(c: DataContext): Promise<Response> {
  const raw = await readBounded(c.request.body, MAX_TAGGING_BODY);
  if (!raw) throw invalid(`the body is larger than ${MAX_TAGGING_BODY} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw invalid("the body is not JSON");
  }
  const tags = parseTagSet(doc);
  if (!(await updateObject(c.db, c.bucket.id, c.key, { tags: JSON.stringify(tags) }))) throw new ApiError("FileNotExist");
  return new Response(null, { status: 200 });
}

/** `GET /key?tagging` → `{"Tags": [...]}` (empty list when the object has none). */
export async function getObjectTagging(c: DataContext): Promise<Response> {
  const row = await requestedObject(c);
  if (!row) throw new ApiError("FileNotExist");
  return json({ Tags: JSON.parse(row.tags) as Tag[] });
}

/** `DELETE /key?tagging` → 204: the object keeps its bytes and loses its tags. */
export async function deleteObjectTagging(c: DataContext): Promise<Response> {
  if (!(await updateObject(c.db, c.bucket.id, c.key, { tags: NO_TAGS }))) throw new ApiError("FileNotExist");
  return new Response(null, { status: 204 });
}
