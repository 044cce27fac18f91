import { readBounded } from "../body";
import { fromBase64 } from "../crypto";
import { ApiError } from "../errors";
import { putPolicyField } from "./auth";
import type { DataContext } from "./context";

/**
 * Upload callbacks (US3 "upload policy"; Go `PutFileWithPolicy` / `FinishMultipartUploadWithPolicy`,
 * Java `PutPolicyForCallback`). The policy is the third field of `Authorization: UCloud
 * <pub>:<sig>:<policy>`, URL-safe base64 of `{"callbackUrl", "callbackBody", "callbackBodyType"?,
 * "callbackVar"?}`, and the signature covers it (auth.ts appends it to the string to sign).
 *
 * PutFile and FinishMultipartUpload read the policy before they store anything (a bad policy is a
 * 400 and nothing is written), publish the object, then POST `callbackBody` to `callbackUrl` with
 * the variables substituted. The client gets the callback's JSON answer in place of the usual one
 * (the ETag header stays). A callback that fails or times out answers -90018 (502) or -90019 (504);
 * the object stays published either way, as US3 documents for its callbacks.
 *
 * Bounded: one POST, no redirects followed, CALLBACK_TIMEOUT_MS for the whole exchange, at most
 * MAX_CALLBACK_ANSWER bytes of answer; URLs that point at this service itself are refused.
 */
const CALLBACK_TIMEOUT_MS = 5_000;
const MAX_CALLBACK_ANSWER = 64 * 1024;
/** The Java SDK refuses policies longer than 4 KiB of base64; a little slack for other clients. */
const MAX_POLICY_CHARS = 8 * 1024;
const FORM = "application/x-www-form-urlencoded";
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export interface PutPolicy {
  callbackUrl: URL;
  callbackBody: string;
  callbackBodyType: string;
  callbackVar: Record<string, string>;
}

/** What the callback may name: magic variables `$(bucket)`, `$(key)`, … and custom `$(x:name)`. */
export interface UploadFacts {
  key: string;
  etag: string;
  size: number;
  mime: string;
}

const badPolicy = (why: string) => new ApiError("InvalidRequest", `invalid upload policy: ${why}`);

/** Decodes and checks a policy field (URL-safe or standard base64). */
export function parsePutPolicy(field: string): PutPolicy {
  if (field.length > MAX_POLICY_CHARS) throw badPolicy(`longer than ${MAX_POLICY_CHARS} characters`);
  const bytes = fromBase64(field);
  let doc: Record<string, unknown>;
  try {
    if (!bytes) throw new Error();
    doc = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw badPolicy("not base64 of a JSON object");
  }
  const { callbackUrl, callbackBody = "", callbackBodyType = "", callbackVar = {} } = doc ?? {};
  if (typeof callbackUrl !== "string" || !URL.canParse(callbackUrl)) throw badPolicy("callbackUrl must be an http(s) URL");
  const url = new URL(callbackUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw badPolicy("callbackUrl must be an http(s) URL");
  if (typeof callbackBody !== "string" || typeof callbackBodyType !== "string") throw badPolicy("callbackBody and callbackBodyType are strings");
  const vars = callbackVar as Record<string, unknown>;
  if (typeof vars !== "object" || vars === null || Array.isArray(vars) || Object.values(vars).some((v) => typeof v !== "string")) {
    throw badPolicy('callbackVar maps names to strings, e.g. {"x:name": "Alice"}');
  }
  return { callbackUrl: url, callbackBody, callbackBodyType: callbackBodyType || FORM, callbackVar: vars as Record<string, string> };
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;
const effectivePort = (u: URL) => u.port || (u.protocol === "https:" ? "443" : "80");

/** A callback to the Worker itself would loop (and could run signed requests as the service): refused. */
function assertNotSelf(c: DataContext, url: URL): void {
  const host = url.hostname.toLowerCase();
  const domain = c.settings.fileDomain;
  const self =
    host === c.url.hostname.toLowerCase() ||
    host === domain ||
    host.endsWith(`.${domain}`) ||
    c.settings.customHosts.has(host) ||
    (LOOPBACK.test(host) && effectivePort(url) === effectivePort(c.url));
  if (self) throw badPolicy(`callbackUrl ${url.host} points at this service`);
}

/** `$(name)` values for one upload; unknown names become "". */
function variables(c: DataContext, policy: PutPolicy, facts: UploadFacts): (name: string) => string | number {
  const magic: Record<string, string | number> = {
    bucket: c.bucket.name,
    key: facts.key,
    fname: facts.key,
    etag: facts.etag,
    fsize: facts.size,
    mimeType: facts.mime,
  };
  const own = (table: Record<string, string | number>, name: string) => (Object.hasOwn(table, name) ? table[name] : "");
  return (name) => own(name.startsWith("x:") ? policy.callbackVar : magic, name);
}

const PLACEHOLDER = /\$\(([^()]+)\)/g;

/**
 * `callbackBody` with its variables substituted for its type: URL-encoded in a form body; in a JSON
 * body a bare `$(v)` becomes a JSON value and one inside a string is escaped into it; as is otherwise.
 */
export function substitute(body: string, type: string, value: (name: string) => string | number): string {
  const media = type.split(";")[0].trim().toLowerCase();
  if (media === FORM) return body.replace(PLACEHOLDER, (_, name: string) => encodeURIComponent(String(value(name))));
  if (media !== "application/json") return body.replace(PLACEHOLDER, (_, name: string) => String(value(name)));
  let out = "";
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    PLACEHOLDER.lastIndex = i;
    const m = ch === "$" ? PLACEHOLDER.exec(body) : null;
    if (m && m.index === i) {
      const v = value(m[1]);
      out += inString ? JSON.stringify(String(v)).slice(1, -1) : JSON.stringify(v);
      i += m[0].length - 1;
      continue;
    }
    if (ch === "\\" && inString) {
      out += ch + (body[i + 1] ?? "");
      i++;
      continue;
    }
    if (ch === '"') inString = !inString;
    out += ch;
  }
  return out;
}

export interface UploadCallback {
  /** After the object is published: runs the callback and answers the client with its result. */
  answer(facts: UploadFacts, published: Response): Promise<Response>;
}

/** The request's upload callback, checked before anything is stored; null when it carries no policy. */
export function uploadCallback(c: DataContext): UploadCallback | null {
  const field = putPolicyField(c.request.headers);
  if (field === "") return null;
  const policy = parsePutPolicy(field);
  assertNotSelf(c, policy.callbackUrl);
  return { answer: (facts, published) => runCallback(c, policy, facts, published) };
}

async function runCallback(c: DataContext, policy: PutPolicy, facts: UploadFacts, published: Response): Promise<Response> {
  const etag = published.headers.get("ETag") ?? facts.etag;
  const failed = (why: string) => new ApiError("CallbackFailed", `${why}; the object is stored (ETag ${etag})`, { ETag: etag });
  const body = substitute(policy.callbackBody, policy.callbackBodyType, variables(c, policy, facts));
  let answer: Uint8Array | null;
  let status: number;
  let type: string;
  try {
    const res = await fetch(policy.callbackUrl, {
      method: "POST",
      headers: { "Content-Type": policy.callbackBodyType, "User-Agent": "edgefile-upload-callback" },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
    });
    status = res.status;
    type = res.headers.get("Content-Type") ?? "";
    answer = await readBounded(res.body, MAX_CALLBACK_ANSWER);
  } catch (err) {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      throw new ApiError("CallbackTimeout", `no answer from ${policy.callbackUrl.host} within ${CALLBACK_TIMEOUT_MS / 1000} s; the object is stored (ETag ${etag})`, { ETag: etag });
    }
    throw failed(`${policy.callbackUrl.host} could not be reached (${err instanceof Error ? err.message : String(err)})`);
  }
  if (status < 200 || status > 299) throw failed(`${policy.callbackUrl.host} answered HTTP ${status}`);
  if (!answer) throw failed(`the callback's answer is larger than ${MAX_CALLBACK_ANSWER} bytes`);
  // US3 passes back the callback's answer, which must be JSON.
  if (!/^application\/json\b/i.test(type.trim()) || !isJson(answer)) throw failed(`the callback's answer is not JSON (Content-Type "${type}")`);
  return new Response(answer, { status: 200, headers: { "Content-Type": "application/json", "Content-Length": String(answer.byteLength), ETag: etag } });
}

function isJson(bytes: Uint8Array): boolean {
  try {
    JSON.parse(strictUtf8.decode(bytes));
    return true;
  } catch {
    return false;
  }
}
