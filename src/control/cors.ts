import { nowSeconds } from "../config";
import { checkCorsRules } from "../core/rules";
import { ApiError } from "../errors";
import { bucketInProject } from "../store/buckets";
import { setCorsRules, type CorsRule } from "../store/rules";
import type { ControlAction } from "./context";

/**
 * SetUFileCORS, an edgefile extension (docs/protocol.md §3.6.5): US3's API has no action for a
 * bucket's CORS rules, which S3 clients set with PutBucketCors; the console and the CLI, which speak
 * the UFile API only, set them here. `CORSRules` is a JSON array in S3's shape (`AllowedOrigins`,
 * `AllowedMethods`, `AllowedHeaders`, `ExposeHeaders`, `MaxAgeSeconds`, `ID`); an empty array or no
 * parameter removes the rules. DescribeBucket's `CORSRules` reads them back.
 */

const strings = (v: unknown, name: string): string[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new ApiError("InvalidParameter", `${name} must be a list of strings`);
  return v.map((s: string) => s.trim());
};

function parseRule(v: unknown): CorsRule {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new ApiError("InvalidParameter", "each CORS rule is an object");
  const r = v as Record<string, unknown>;
  const maxAge = r.MaxAgeSeconds;
  if (maxAge !== undefined && (typeof maxAge !== "number" || !Number.isSafeInteger(maxAge))) throw new ApiError("InvalidParameter", "MaxAgeSeconds must be an integer");
  if (r.ID !== undefined && typeof r.ID !== "string") throw new ApiError("InvalidParameter", "ID must be a string");
  return {
    id: (r.ID as string | undefined) ?? "",
    allowedOrigins: strings(r.AllowedOrigins, "AllowedOrigins"),
    allowedMethods: strings(r.AllowedMethods, "AllowedMethods").map((m) => m.toUpperCase()),
    allowedHeaders: strings(r.AllowedHeaders, "AllowedHeaders"),
    exposeHeaders: strings(r.ExposeHeaders, "ExposeHeaders"),
    maxAgeSeconds: maxAge === undefined ? null : (maxAge as number),
  };
}

export const setUFileCORS: ControlAction = async (c) => {
  const name = c.params.required("BucketName");
  const raw = c.params.nonEmpty("CORSRules") ?? "[]";
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError("InvalidParameter", "CORSRules must be a JSON array of rules");
  }
  if (!Array.isArray(parsed)) throw new ApiError("InvalidParameter", "CORSRules must be a JSON array of rules");
  const rules = parsed.map(parseRule);
  checkCorsRules(rules);
  const bucket = await bucketInProject(c.db, c.projectId, name);
  if (!bucket) throw new ApiError("BucketNotFound", name);
  await setCorsRules(c.db, bucket, rules, nowSeconds());
  return {};
};
