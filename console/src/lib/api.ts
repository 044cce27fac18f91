import { authorizationHeader, controlSignature, flattenParams, keyPath, presignedUrl, type Params } from "./sign";
import { bucketOrigin, type Session } from "./session";
import { asHeaderText } from "../../../src/core/encoded-words";

/**
 * The public API as the console calls it: control-plane actions (same origin, form POST, as
 * ucloud-sdk-python3 sends them) and data-plane operations on `<bucket>.<FILE_DOMAIN>` (CORS),
 * every one signed in the browser. Failures become `ApiFailure` with the API's own code.
 */
export class ApiFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status = 200,
  ) {
    super(message);
  }
}

export interface Envelope {
  RetCode: number;
  Message: string;
  [field: string]: unknown;
}

export async function control<T = Envelope>(session: Session, action: string, params: Params = {}): Promise<T> {
  // A token session keeps no key text (lib/session.ts), and the control plane refuses tokens anyway.
  if (session.keys.privateKey === undefined) throw new ApiFailure(15037, "a token cannot call the control plane");
  const flat = flattenParams({ ...params, Action: action, PublicKey: session.keys.publicKey });
  flat.push(["Signature", await controlSignature(flat, session.keys.privateKey)]);
  const res = await fetch(new URL("/", location.href), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(flat).toString(),
  });
  const body = (await res.json().catch(() => null)) as Envelope | null;
  if (!body) throw new ApiFailure(-1, `HTTP ${res.status}`, res.status);
  if (body.RetCode !== 0) throw new ApiFailure(body.RetCode, body.Message, res.status);
  return body as T;
}

// ───────────── data plane ─────────────

export interface ObjectEntry {
  Key: string;
  MimeType: string;
  ETag: string;
  Size: string;
  StorageClass: string;
  LastModified: number;
  CreateTime: number;
  UserMeta?: Record<string, string>;
}

export interface ListObjectsResult {
  Prefix: string;
  IsTruncated: boolean;
  NextMarker: string;
  Contents: ObjectEntry[];
  CommonPrefixes: { Prefix: string }[];
}

export interface PartInfo {
  PartNum: number;
  Etag: string;
  Size: number;
}

export interface DataRequest {
  method: string;
  key?: string;
  /** Raw query, already encoded (`listobjects&prefix=…`). */
  query?: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  /** The key in the string to sign when it is not the path's (UploadHit signs FileName). */
  signKey?: string;
}

async function failureFrom(res: { status: number; text: string }): Promise<ApiFailure> {
  try {
    const body = JSON.parse(res.text) as { RetCode?: number; ErrMsg?: string };
    return new ApiFailure(body.RetCode ?? -1, body.ErrMsg ?? `HTTP ${res.status}`, res.status);
  } catch {
    return new ApiFailure(-1, `HTTP ${res.status}`, res.status);
  }
}

/** XMLHttpRequest, for the upload progress that fetch cannot report. */
export function xhr(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: (loaded: number) => void,
  signal?: AbortSignal,
): Promise<{ status: number; etag: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = new XMLHttpRequest();
    req.open(method, url);
    for (const [k, v] of Object.entries(headers)) req.setRequestHeader(k, v);
    req.upload.onprogress = (e) => onProgress(e.loaded);
    req.onload = () => resolve({ status: req.status, etag: req.getResponseHeader("ETag") ?? "", text: req.responseText });
    req.onerror = () => reject(new ApiFailure(-1, "network error"));
    req.onabort = () => reject(new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", () => req.abort(), { once: true });
    req.send(body);
  });
}

/** One bucket's data-plane client. */
export class BucketClient {
  readonly origin: string;
  constructor(
    readonly session: Session,
    readonly bucket: string,
  ) {
    this.origin = bucketOrigin(session, bucket);
  }

  private async sign(method: string, key: string, headers: Record<string, string>): Promise<Record<string, string>> {
    const contentType = headers["Content-Type"] ?? "";
    return { ...headers, Authorization: await authorizationHeader(this.session.keys, { method, bucket: this.bucket, key, contentType }) };
  }

  url(key: string, query = ""): string {
    return `${this.origin}${key ? keyPath(key) : "/"}${query ? "?" + query : ""}`;
  }

  /** A signed request; throws ApiFailure unless 2xx/304. */
  async request(r: DataRequest): Promise<Response> {
    const key = r.key ?? "";
    const headers = await this.sign(r.method, r.signKey ?? key, r.headers ?? {});
    const res = await fetch(this.url(key, r.query), { method: r.method, headers, body: r.body ?? null });
    if (!res.ok && res.status !== 304) throw await failureFrom({ status: res.status, text: await res.text() });
    return res;
  }

  async json<T>(r: DataRequest): Promise<T> {
    return (await (await this.request(r)).json()) as T;
  }

  list(prefix: string, marker: string, maxKeys: number, delimiter = "/"): Promise<ListObjectsResult> {
    const q = new URLSearchParams({ prefix, marker, "max-keys": String(maxKeys), delimiter });
    return this.json({ method: "GET", query: "listobjects&" + q.toString() });
  }

  head(key: string): Promise<Response> {
    return this.request({ method: "HEAD", key });
  }

  delete(key: string): Promise<Response> {
    return this.request({ method: "DELETE", key });
  }

  rename(key: string, newKey: string, force = false): Promise<Response> {
    return this.request({ method: "PUT", key, query: `newFileName=${encodeURIComponent(newKey)}&force=${force}` });
  }

  /**
   * Copy (docs/protocol.md §5.11); `meta` given = REPLACE the user metadata with it. A non-ASCII value
   * goes as RFC 2047 encoded-words: a browser's `fetch` cannot send it as UTF-8 header bytes.
   */
  copy(sourceBucket: string, sourceKey: string, key: string, meta?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { "X-Ufile-Copy-Source": `/${sourceBucket}/${sourceKey.split("/").map(encodeURIComponent).join("/")}` };
    if (meta) {
      headers["X-Ufile-Metadata-Directive"] = "REPLACE";
      for (const [k, v] of Object.entries(meta)) headers[`X-Ufile-Meta-${k}`] = asHeaderText(v);
    }
    return this.request({ method: "PUT", key, headers });
  }

  setMimeType(key: string, mime: string): Promise<Response> {
    return this.request({
      method: "POST",
      key,
      query: "opmeta",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ op: "set", metak: "mimetype", metav: mime }),
    });
  }

  setStorageClass(key: string, storageClass: string): Promise<Response> {
    return this.request({ method: "PUT", key, query: `storageClass=${encodeURIComponent(storageClass)}` });
  }

  restore(key: string): Promise<Response> {
    return this.request({ method: "PUT", key, query: "restore" });
  }

  /** 秒传: true when an identical file (UFile ETag and size) was found and `key` now points at it. */
  async uploadHit(key: string, etag: string, size: number): Promise<boolean> {
    const q = new URLSearchParams({ Hash: etag, FileName: key, FileSize: String(size) });
    try {
      await this.request({ method: "POST", key: "uploadhit", query: q.toString(), signKey: key });
      return true;
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 404) return false;
      throw e;
    }
  }

  /** PutFile with upload progress; returns the ETag. */
  async put(key: string, blob: Blob, contentType: string, onProgress: (n: number) => void, signal?: AbortSignal): Promise<string> {
    const headers = await this.sign("PUT", key, { "Content-Type": contentType });
    const res = await xhr("PUT", this.url(key), headers, blob, onProgress, signal);
    if (res.status !== 200) throw await failureFrom(res);
    return res.etag;
  }

  initiateMultipart(key: string, contentType: string): Promise<{ UploadId: string; BlkSize: number }> {
    return this.json({ method: "POST", key, query: "uploads", headers: { "Content-Type": contentType } });
  }

  async uploadPart(key: string, uploadId: string, part: number, blob: Blob, contentType: string, onProgress: (n: number) => void, signal?: AbortSignal): Promise<string> {
    const headers = await this.sign("PUT", key, { "Content-Type": contentType });
    const url = this.url(key, `uploadId=${encodeURIComponent(uploadId)}&partNumber=${part}`);
    const res = await xhr("PUT", url, headers, blob, onProgress, signal);
    if (res.status !== 200) throw await failureFrom(res);
    return res.etag;
  }

  /** Every part received so far (follows NextPartNumberMarker). */
  async listParts(uploadId: string): Promise<PartInfo[]> {
    const parts: PartInfo[] = [];
    for (let marker = 0; ; ) {
      const q = `muploadpart&uploadId=${encodeURIComponent(uploadId)}&max-parts=1000&part-number-marker=${marker}`;
      const page = await this.json<{ Parts: PartInfo[]; IsTruncated: boolean; NextPartNumberMarker: number }>({ method: "GET", query: q });
      parts.push(...page.Parts);
      if (!page.IsTruncated || page.Parts.length === 0) return parts;
      marker = page.NextPartNumberMarker;
    }
  }

  async finishMultipart(key: string, uploadId: string, etags: string[], contentType: string): Promise<string> {
    const res = await this.request({
      method: "POST",
      key,
      query: `uploadId=${encodeURIComponent(uploadId)}`,
      headers: { "Content-Type": contentType },
      body: etags.join(","),
    });
    return res.headers.get("ETag") ?? "";
  }

  abortMultipart(key: string, uploadId: string): Promise<Response> {
    return this.request({ method: "DELETE", key, query: `uploadId=${encodeURIComponent(uploadId)}` });
  }

  /** A query-signed GET URL; `download` adds `ufileattname` (Content-Disposition: attachment). */
  presign(key: string, seconds: number, download?: string): Promise<string> {
    const expires = Math.floor(Date.now() / 1000) + seconds;
    const extra = download ? `ufileattname=${encodeURIComponent(download)}` : "";
    return presignedUrl(this.session.keys, this.origin, this.bucket, key, expires, "GET", extra);
  }
}
