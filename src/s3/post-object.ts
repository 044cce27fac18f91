import { safeEqual, fromBase64, toHex } from "../crypto";
import { ApiError } from "../errors";
import { assertValidKey } from "../core/keys";
import { isHeaderValue, metaValueFromText, storedTextHeader } from "../core/metadata";
import type { KeyPair, Principal } from "../auth/principal";
import { anonymouslyWritable } from "../auth/public-read";
import { etagFromBlocks, hashingStream, UFileHasher } from "../core/etag";
import { checkBeforeFile, parseUploadForm, type UploadFile } from "../core/form";
import { assertNotOwing } from "../metering/quotas";
import { newBlobId, putBlobOfUnknownLength } from "../store/blobs";
import { aclSetBy, authorizeBodyKey } from "./access";
import { authenticateKey } from "./auth";
import { servedBucket, type S3Context } from "./context";
import { publishS3 } from "./objects";
import { requestedS3Meta } from "./object-headers";
import { requestedObjectAcl } from "./acl";
import { signV2 } from "./sigv2";
import { ALGORITHM, checkFreshness, hmac, signingKey } from "./sigv4";
import { xmlResponse, type XmlNode } from "./xml";
import { formTagging } from "./tagging";
import { checksumFromHeaders, verifyingStream, type ExpectedChecksum } from "./checksums";
import { customerKeyHeaders, customerKeyOf, SSEC_HEADERS, type CustomerKey } from "../core/sse-c";
import { formatStoredChecksum } from "./stored-checksums";

/**
 * Browser form upload (`POST /<bucket>` multipart/form-data with a POST policy, SigV4 or SigV2):
 * the policy (base64 JSON: expiration + conditions) is signed with the access key;
 * every condition must hold and every form field must be named by a condition, as in S3. The
 * file streams to R2 while its size is checked against `content-length-range`; nothing is
 * published unless all of it holds.
 */

type Condition = { field: string; test: (value: string) => boolean; describe: string };

/** Fields S3 does not require a policy condition for. */
const UNCONDITIONED = new Set(["policy", "x-amz-signature", "awsaccesskeyid", "signature", "file", "key-prefix-ignored"]);

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function parsePolicy(b64: string, now: number): { conditions: Condition[]; range: [number, number] | null } {
  const bytes = fromBase64(b64);
  let doc: { expiration?: unknown; conditions?: unknown };
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes ?? new Uint8Array(0)));
  } catch {
    throw new ApiError("InvalidPolicyDocument", "Invalid Policy: the policy is not base64-encoded JSON");
  }
  if (doc.expiration === undefined) throw new ApiError("InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.");
  // ISO 8601 in UTC, as S3 requires (`2026-01-01T12:00:00.000Z`); other date forms are refused, not guessed.
  const expires = typeof doc.expiration === "string" && ISO_UTC.test(doc.expiration) ? Date.parse(doc.expiration) : NaN;
  if (!Number.isFinite(expires)) throw new ApiError("InvalidPolicyDocument", `Invalid Policy: Invalid 'expiration' value: ${JSON.stringify(doc.expiration)}`);
  if (now * 1000 > expires) throw new ApiError("AccessDenied", "Invalid according to Policy: Policy expired.");
  if (!Array.isArray(doc.conditions)) throw new ApiError("InvalidPolicyDocument", "Invalid Policy: Policy missing conditions.");
  const conditions: Condition[] = [];
  let range: [number, number] | null = null;
  for (const c of doc.conditions as unknown[]) {
    // Operator and field names are case-insensitive (S3); values are not.
    const list = Array.isArray(c) ? (c as unknown[]) : null;
    const op = list && typeof list[0] === "string" ? list[0].toLowerCase() : null;
    if (list && op === "content-length-range" && Number.isSafeInteger(list[1]) && Number.isSafeInteger(list[2])) {
      range = [list[1] as number, list[2] as number];
    } else if (list && (op === "eq" || op === "starts-with") && typeof list[1] === "string" && list[1].startsWith("$") && typeof list[2] === "string") {
      const [, name, value] = list as [string, string, string];
      const field = name.slice(1).toLowerCase();
      conditions.push({ field, test: op === "eq" ? (v) => v === value : (v) => v.startsWith(value), describe: JSON.stringify(c) });
    } else if (c && typeof c === "object" && !Array.isArray(c) && Object.keys(c).length === 1) {
      const [[name, value]] = Object.entries(c as Record<string, unknown>);
      if (typeof value !== "string") throw new ApiError("InvalidPolicyDocument", `Invalid Policy: invalid condition ${JSON.stringify(c)}`);
      conditions.push({ field: name.toLowerCase(), test: (v) => v === value, describe: JSON.stringify(c) });
    } else {
      throw new ApiError("InvalidPolicyDocument", `Invalid Policy: invalid condition ${JSON.stringify(c)}`);
    }
  }
  return { conditions, range };
}

/** A pass-through that fails the stream (before it ends) when the size leaves [min, max]. */
function sizeLimit([min, max]: [number, number]): TransformStream<Uint8Array, Uint8Array> {
  let n = 0;
  const tooBig = () => new ApiError("EntityTooLarge", `Your proposed upload exceeds the maximum allowed size (${max} bytes, content-length-range)`);
  return new TransformStream({
    transform(chunk, controller) {
      n += chunk.byteLength;
      if (n > max) throw tooBig();
      controller.enqueue(chunk);
    },
    flush() {
      if (n < min) throw new ApiError("EntityTooSmall", `Your proposed upload is smaller than the minimum allowed size (${min} bytes, content-length-range)`);
    },
  });
}

/**
 * `success_action_redirect`: an absolute http(s) URL, or refused (InvalidArgument) before anything
 * is stored. S3 would silently answer the status instead; a form author learns more from an error.
 */
function redirectTarget(value: string): URL | null {
  if (value === "") return null;
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new ApiError("InvalidArgument", "success_action_redirect must be an absolute http or https URL");
  }
  return url;
}

/** Form fields stored as object headers. */
const HEADER_FIELDS = new Set(["content-type", "cache-control", "content-disposition", "content-encoding"]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * The fields a write stores as headers, as Headers; a field no header could carry is refused before
 * anything is stored. A non-ASCII `x-amz-meta-*` value becomes RFC 2047 encoded-words (core/metadata.ts).
 */
function formHeaders(fields: Map<string, string>): Headers {
  const chosen: [string, string][] = [];
  for (const [name, value] of fields) {
    const meta = name.startsWith("x-amz-meta-");
    if (!meta && !HEADER_FIELDS.has(name)) continue;
    if (!TOKEN.test(name) || (!meta && !isHeaderValue(value))) throw new ApiError("InvalidArgument", `the form field ${name} cannot be stored as an HTTP header`);
    chosen.push([name, meta ? metaValueFromText(name, value) : value]);
  }
  return new Headers(chosen);
}

/**
 * The form's credentials: SigV4 fields (`x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
 * `x-amz-signature` = hex HMAC of the policy with the signing key), or SigV2 ones
 * (`AWSAccessKeyId`, `signature` = base64 HMAC-SHA1 of the policy with the secret).
 */
async function formCredentials(c: S3Context, field: (name: string) => string, policyB64: string): Promise<KeyPair> {
  if (field("x-amz-algorithm") === "" && field("awsaccesskeyid") !== "") {
    if (field("signature") === "") throw new ApiError("InvalidArgument", "Bucket POST must contain a field named 'signature'.");
    const found = await authenticateKey(field("awsaccesskeyid"), c.env);
    if (!safeEqual(await signV2(found.privateKey, policyB64), field("signature"))) {
      throw new ApiError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
    }
    return found;
  }
  if (field("x-amz-algorithm") !== ALGORITHM) throw new ApiError("InvalidArgument", `x-amz-algorithm must be ${ALGORITHM}`);
  if (field("x-amz-signature") === "") throw new ApiError("InvalidArgument", "Bucket POST must contain a field named 'x-amz-signature'.");
  const credential = field("x-amz-credential").split("/");
  if (credential.length !== 5 || credential[3] !== "s3" || credential[4] !== "aws4_request") throw new ApiError("InvalidArgument", "x-amz-credential is not <key>/<date>/<region>/s3/aws4_request");
  const [accessKeyId, date, region] = credential;
  const amzDate = field("x-amz-date");
  checkFreshness({ form: "query", accessKeyId, date, region, service: "s3", amzDate, signedHeaders: [], signature: "", expires: 7 * 24 * 3600, payloadHash: "" }, c.now);
  const found = await authenticateKey(accessKeyId, c.env);
  const expected = toHex(await hmac(await signingKey(found.privateKey, date, region, "s3"), policyB64));
  if (!safeEqual(expected, field("x-amz-signature").toLowerCase())) {
    throw new ApiError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
  }
  return found;
}

/**
 * Who uploads, and the size range the policy allows: a form with neither policy nor signature is
 * anonymous, which only a public-read-write bucket takes (as it takes an anonymous PutObject);
 * otherwise the policy must be signed, every condition hold, every field be conditioned, and the
 * signer hold the row's rights on the key.
 */
async function formAuthority(c: S3Context, fields: Map<string, string>, key: string): Promise<{ principal: Principal; range: [number, number] | null }> {
  const field = (name: string) => fields.get(name) ?? "";
  if (!fields.has("policy") && !fields.has("x-amz-signature") && !fields.has("signature")) {
    if (!anonymouslyWritable(servedBucket(c).type)) throw new ApiError("AccessDenied", "Access Denied: a POST upload needs a policy signed with an access key");
    return { principal: { kind: "anonymous" }, range: null };
  }
  const policyB64 = field("policy");
  if (policyB64 === "") throw new ApiError("AccessDenied", "Bucket POST must contain a policy");
  const found = await formCredentials(c, field, policyB64);
  const { conditions, range } = parsePolicy(policyB64, c.now);
  const values = new Map(fields);
  values.set("key", key);
  values.set("bucket", servedBucket(c).name);
  for (const cond of conditions) {
    if (!cond.test(values.get(cond.field) ?? "")) throw new ApiError("AccessDenied", `Invalid according to Policy: Policy Condition failed: ${cond.describe}`);
  }
  for (const name of fields.keys()) {
    // A checksum field only constrains the upload (a wrong one stores nothing): it needs no condition.
    if (UNCONDITIONED.has(name) || name.startsWith("x-ignore-") || name.startsWith("x-amz-checksum-") || conditions.some((cond) => cond.field === name)) continue;
    throw new ApiError("AccessDenied", `Invalid according to Policy: Extra input fields: ${name}`);
  }
  await authorizeBodyKey(c, found.principal, key, () => aclSetBy(formAclHeaders(fields), servedBucket(c).projectId));
  return { principal: found.principal, range };
}

/** The form's `x-amz-checksum-<alg>` field, if any (a malformed one is refused). */
function formChecksum(fields: Map<string, string>): ExpectedChecksum | undefined {
  return checksumFromHeaders(new Headers([...fields].filter(([k]) => k.startsWith("x-amz-checksum-"))));
}

/**
 * The form's encryption fields, as PutObject's headers: `x-amz-server-side-encryption` (AES256 is what
 * R2 does anyway; SSE-KMS is not implemented) and the SSE-C triple (core/sse-c.ts), whose key R2
 * encrypts the file with.
 */
async function formCustomerKey(fields: Map<string, string>): Promise<CustomerKey | undefined> {
  const sse = fields.get("x-amz-server-side-encryption");
  if (sse !== undefined && sse !== "AES256") throw new ApiError("NotImplemented", `x-amz-server-side-encryption: ${sse} is not implemented (R2 encrypts every object at rest)`);
  return customerKeyOf(new Headers([...fields].filter(([k]) => k === "x-amz-server-side-encryption" || k.startsWith(SSEC_HEADERS))));
}

/**
 * The form's ACL fields (`acl`, `x-amz-grant-*`) as the headers PutObject reads, so that one rule
 * (acl.ts `requestedObjectAcl`) takes or refuses them on both.
 */
function formAclHeaders(fields: Map<string, string>): Headers {
  const chosen = [...fields].flatMap(([k, v]): [string, string][] => (k === "acl" ? [["x-amz-acl", v]] : k.startsWith("x-amz-grant-") ? [[k, v]] : []));
  const bad = chosen.find(([k, v]) => !TOKEN.test(k) || !isHeaderValue(v));
  if (bad) throw new ApiError("InvalidArgument", `the form field ${bad[0] === "x-amz-acl" ? "acl" : bad[0]} is not a valid ACL`);
  return new Headers(chosen);
}

/** What the form asks for, checked before a byte is stored (a refusal drains the file part first: checkBeforeFile). */
function checkForm(c: S3Context, fields: Map<string, string>, key: string, file: UploadFile) {
  return checkBeforeFile(file, async () => {
    if (key === "") throw new ApiError("InvalidArgument", "Bucket POST must contain a field named 'key'.");
    const { principal, range } = await formAuthority(c, fields, key);
    assertValidKey(key);
    assertNotOwing(servedBucket(c));
    const acl = await requestedObjectAcl(c.db, formAclHeaders(fields), servedBucket(c));
    const ssec = await formCustomerKey(fields);
    const tagging = fields.get("tagging");
    return {
      principal,
      range,
      acl,
      redirect: redirectTarget(fields.get("success_action_redirect") ?? ""),
      checksum: formChecksum(fields),
      ssec,
      tags: tagging === undefined ? undefined : formTagging(tagging),
    };
  });
}

export async function postObject(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  if (!c.request.body) throw new ApiError("MalformedPOSTRequest", "empty body");
  const form = await parseUploadForm(c.request.body, c.request.headers.get("Content-Type") ?? "");
  const fields = new Map([...form.fields].map(([k, v]) => [k.toLowerCase(), v]));
  const field = (name: string) => fields.get(name) ?? "";
  const filename = form.file.filename ?? "";
  const key = field("key").replace(/\$\{filename\}/g, filename);
  const { principal, range, acl, redirect, checksum, ssec, tags } = await checkForm(c, fields, key, form.file);

  const meta = { ...requestedS3Meta(formHeaders(fields)), acl, tags };
  if (!fields.has("content-type") && form.file.contentType) meta.mime = storedTextHeader("Content-Type", form.file.contentType);
  const hasher = new UFileHasher();
  const blobId = newBlobId();
  let stream = form.file.stream.pipeThrough(hashingStream(hasher));
  if (range) stream = stream.pipeThrough(sizeLimit(range));
  if (checksum) stream = stream.pipeThrough(verifyingStream(checksum.algorithm, () => checksum.value));
  const s3Etag = await putBlobOfUnknownLength(c.env, blobId, stream, meta.storageClass, ssec?.key);
  const hashed = await hasher.finish();
  const blob = {
    id: blobId,
    size: hashed.size,
    etag: await etagFromBlocks(hashed.blockSha1s),
    s3Etag,
    checksum: formatStoredChecksum(checksum && { ...checksum, type: "FULL_OBJECT" }),
    ssecKeyMd5: ssec?.md5 ?? "",
  };
  await publishS3(c, principal, bucket.id, key, blob, meta);

  const etag = `"${s3Etag}"`;
  const headers = new Headers({ ETag: etag });
  customerKeyHeaders(headers, blob.ssecKeyMd5);
  if (redirect) {
    const to = new URL(redirect.href);
    to.searchParams.set("bucket", bucket.name);
    to.searchParams.set("key", key);
    to.searchParams.set("etag", etag);
    headers.set("Location", to.toString());
    return new Response(null, { status: 303, headers });
  }
  const status = field("success_action_status");
  if (status === "201") {
    // S3's PostResponse is in no namespace (unlike its other answers).
    const result: XmlNode = ["PostResponse", ["Location", new URL(`/${bucket.name}/${key}`, c.url).toString()], ["Bucket", bucket.name], ["Key", key], ["ETag", etag]];
    return xmlResponse(result, 201, headers, false);
  }
  return new Response(null, { status: status === "200" ? 200 : 204, headers });
}
