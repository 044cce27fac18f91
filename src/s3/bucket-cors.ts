import { checkCorsRules } from "../core/rules";
import { ApiError } from "../errors";
import { bucketRules, setCorsRules, type CorsRule } from "../store/rules";
import { servedBucket, type S3Context } from "./context";
import { childrenNamed, childText, readXmlDocument, xmlResponse, type XmlElement } from "./xml";

/**
 * S3 Put/Get/DeleteBucketCors (docs/s3.md "CORS"): the bucket's CORS rules in the one rule store
 * (src/store/rules.ts); src/core/bucket-cors.ts applies them on both fronts.
 */

const MAX_BODY = 64 * 1024;

const texts = (el: XmlElement, name: string): string[] => childrenNamed(el, name).map((c) => c.text.trim());

function parseRule(el: XmlElement): CorsRule {
  const maxAge = childText(el, "MaxAgeSeconds");
  if (maxAge !== undefined && !/^\d{1,9}$/.test(maxAge)) throw new ApiError("InvalidArgument", "MaxAgeSeconds must be a non-negative integer");
  return {
    id: childText(el, "ID") ?? "",
    allowedOrigins: texts(el, "AllowedOrigin"),
    allowedMethods: texts(el, "AllowedMethod"),
    allowedHeaders: texts(el, "AllowedHeader"),
    exposeHeaders: texts(el, "ExposeHeader"),
    maxAgeSeconds: maxAge === undefined ? null : Number(maxAge),
  };
}

export async function putBucketCors(c: S3Context): Promise<Response> {
  const root = await readXmlDocument(c.request, MAX_BODY, "CORSConfiguration");
  const rules = childrenNamed(root, "CORSRule").map(parseRule);
  if (rules.length === 0) throw new ApiError("MalformedXML", "a CORSConfiguration needs at least one <CORSRule>");
  checkCorsRules(rules);
  await setCorsRules(c.db, servedBucket(c), rules, c.now);
  return new Response(null, { status: 200 });
}

export async function getBucketCors(c: S3Context): Promise<Response> {
  const rules = bucketRules(servedBucket(c)).cors;
  if (rules.length === 0) throw new ApiError("NoSuchCORSConfiguration");
  return xmlResponse([
    "CORSConfiguration",
    rules.map((r) => [
      "CORSRule",
      r.id ? ["ID", r.id] : null,
      r.allowedHeaders.map((h) => ["AllowedHeader", h]),
      r.allowedMethods.map((m) => ["AllowedMethod", m]),
      r.allowedOrigins.map((o) => ["AllowedOrigin", o]),
      r.exposeHeaders.map((h) => ["ExposeHeader", h]),
      r.maxAgeSeconds === null ? null : ["MaxAgeSeconds", r.maxAgeSeconds],
    ]),
  ]);
}

export async function deleteBucketCors(c: S3Context): Promise<Response> {
  await setCorsRules(c.db, servedBucket(c), [], c.now);
  return new Response(null, { status: 204 });
}
