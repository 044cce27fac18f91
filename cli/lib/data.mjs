// @ts-check
// Data-plane client: one signed request per UFile file operation, to <bucket>.<file domain>.
import { CliError, EXIT, dataError } from "./errors.mjs";
import { isLoopback, requireKeys } from "./config.mjs";
import { readAll, readJson, request } from "./net.mjs";
import { authorization, keyPath, presignedQuery } from "../../src/signing.mjs";

/**
 * @typedef {{ key: string, size: number, etag: string, mime: string, modified: number, storageClass: string }} RemoteObject
 * @typedef {{ method: string, key?: string, query?: string, headers?: Record<string, string>,
 *             body?: Buffer | string | (() => Buffer | import("node:stream").Readable),
 *             contentType?: string, signSuffix?: string, signKey?: string, ok?: number[], what?: string }} Call
 */

export class DataPlane {
  /**
   * @param {import("./config.mjs").Settings} settings
   * @param {import("./control.mjs").Control} control used to find a bucket's host when no file URL is configured
   */
  constructor(settings, control) {
    this.settings = settings;
    this.control = control;
    /** @type {Map<string, string>} */
    this.bases = new Map();
  }

  /**
   * The base URL of a bucket: EDGEFILE_FILE_URL / fileUrl as a template ("https://{bucket}.example.com"),
   * a suffix (".cn-bj.ufileos.com") or a domain ("files.example.com"); else locally
   * <bucket>.localhost on the control URL's port; else the bucket's Domain.Src from DescribeBucket.
   * @param {string} bucket
   */
  async base(bucket) {
    const known = this.bases.get(bucket);
    if (known) return known;
    const control = new URL(this.settings.url);
    const fileUrl = this.settings.fileUrl;
    let base;
    if (fileUrl) base = fromTemplate(fileUrl, control.protocol).replace("{bucket}", bucket);
    else if (isLoopback(this.settings.url)) base = `${control.protocol}//${bucket}.localhost${control.port ? ":" + control.port : ""}`;
    else {
      const [set] = (await this.control.call({ Action: "DescribeBucket", BucketName: bucket })).DataSet ?? [];
      const host = set?.Domain?.Src?.[0];
      if (!host) throw new CliError(`bucket ${bucket} has no file domain; set EDGEFILE_FILE_URL`, EXIT.usage);
      base = `${control.protocol}//${host}`;
    }
    base = base.replace(/\/+$/, "");
    this.bases.set(bucket, base);
    return base;
  }

  /**
   * Sends one header-signed request and fails with a one-line error on an unexpected status.
   * @param {string} bucket @param {Call} c
   */
  async send(bucket, c) {
    requireKeys(this.settings);
    const key = c.key ?? "";
    const contentType = c.contentType ?? "";
    const Authorization = await authorization(this.settings.publicKey, this.settings.privateKey, {
      method: c.method,
      bucket,
      key: c.signKey ?? key,
      contentType,
      suffix: c.signSuffix,
    });
    /** @type {Record<string, string>} */
    const headers = { ...c.headers, Authorization };
    if (contentType) headers["Content-Type"] = contentType;
    const url = `${await this.base(bucket)}/${keyPath(key)}${c.query ? "?" + c.query : ""}`;
    const res = await request({ method: c.method, url, headers, body: c.body });
    if (!(c.ok ?? [200]).includes(res.status)) {
      const body = c.method === "HEAD" ? null : await readJson(res.stream);
      throw dataError(res.status, body, c.what ?? `ufile://${bucket}/${key}`);
    }
    return res;
  }

  /** @param {string} bucket @param {string} key */
  async head(bucket, key) {
    const res = await this.send(bucket, { method: "HEAD", key, ok: [200, 404] });
    res.stream.resume();
    if (res.status === 404) {
      await this.requireBucket(bucket); // HEAD errors have no body: tell "no such bucket" apart
      return null;
    }
    const h = res.headers;
    /** @type {Record<string, string>} */
    const meta = {};
    for (const [name, value] of Object.entries(h)) {
      if (name.startsWith("x-ufile-meta-")) meta[name.slice(13)] = String(value);
    }
    return {
      key,
      size: Number(h["content-length"] ?? 0),
      etag: unquote(String(h.etag ?? "")),
      mime: String(h["content-type"] ?? ""),
      modified: h["last-modified"] ? Math.floor(Date.parse(String(h["last-modified"])) / 1000) : 0,
      storageClass: String(h["x-ufile-storage-class"] ?? ""),
      meta,
    };
  }

  /** Throws "no such bucket" (exit 5) when the bucket does not exist. @param {string} bucket */
  async requireBucket(bucket) {
    const res = await this.send(bucket, { method: "GET", query: "list&limit=1", what: `ufile://${bucket}` });
    res.stream.resume();
  }

  /** @param {string} bucket @param {string} key @param {string} [range] */
  get(bucket, key, range) {
    return this.send(bucket, { method: "GET", key, headers: range ? { Range: range } : {}, ok: [200, 206] });
  }

  /**
   * PutFile. @param {string} bucket @param {string} key
   * @param {Buffer | (() => import("node:stream").Readable)} body @param {number} size @param {string} contentType
   */
  async put(bucket, key, body, size, contentType) {
    /** @type {Record<string, string>} */
    const headers = typeof body === "function" ? { "Content-Length": String(size) } : {};
    const res = await this.send(bucket, { method: "PUT", key, body, contentType, headers });
    res.stream.resume();
    return unquote(String(res.headers.etag ?? ""));
  }

  /** @param {string} bucket @param {string} key */
  async del(bucket, key) {
    (await this.send(bucket, { method: "DELETE", key, ok: [200, 204] })).stream.resume();
  }

  /**
   * 秒传: asks the service to create `key` from an object it already holds with this ETag and size.
   * @returns {Promise<boolean>} true on a hit (nothing needs sending)
   * @param {string} bucket @param {string} key @param {string} etag @param {number} size
   */
  async uploadHit(bucket, key, etag, size) {
    const query = `Hash=${encodeURIComponent(etag)}&FileName=${encodeURIComponent(key)}&FileSize=${size}`;
    const res = await this.send(bucket, { method: "POST", key: "uploadhit", signKey: key, query, ok: [200, 404] });
    const body = await readJson(res.stream);
    // A 404 for a missing bucket is an error, not a miss.
    if (res.status === 404 && body?.RetCode === -30010) throw dataError(404, body, `ufile://${bucket}`);
    return res.status === 200;
  }

  /**
   * Lists objects under a prefix (ListObjects), page by page.
   * @param {string} bucket @param {{ prefix?: string, delimiter?: string }} opts
   * @returns {AsyncGenerator<{ objects: RemoteObject[], prefixes: string[] }>}
   */
  async *list(bucket, { prefix = "", delimiter = "" } = {}) {
    let marker = "";
    for (;;) {
      const maxKeys = "1000";
      const q = new URLSearchParams({ prefix, marker, "max-keys": maxKeys, delimiter });
      // Signed with the listobjects suffix (as the Python SDK signs it; accepted by every UFile endpoint).
      const signSuffix = `\nlistobjects\ndelimiter:${delimiter}\nmarker:${marker}\nmax-keys:${maxKeys}\nprefix:${prefix}`;
      const res = await this.send(bucket, { method: "GET", query: `listobjects&${q.toString().replace(/\+/g, "%20")}`, signSuffix, what: `ufile://${bucket}/${prefix}` });
      const body = await readJson(res.stream);
      /** @type {RemoteObject[]} */
      const objects = (body?.Contents ?? []).map((/** @type {any} */ o) => ({
        key: o.Key,
        size: Number(o.Size),
        etag: unquote(o.ETag ?? ""),
        mime: o.MimeType ?? "",
        modified: Number(o.LastModified ?? 0),
        storageClass: o.StorageClass ?? "",
      }));
      const prefixes = (body?.CommonPrefixes ?? []).map((/** @type {any} */ p) => p.Prefix);
      yield { objects, prefixes };
      if (!body?.IsTruncated || !body.NextMarker) return;
      marker = body.NextMarker;
    }
  }

  /** @param {string} bucket @param {string} key @param {string} contentType */
  async initiate(bucket, key, contentType) {
    const res = await this.send(bucket, { method: "POST", key, query: "uploads", contentType });
    const body = await readJson(res.stream);
    if (!body?.UploadId || !body.BlkSize) throw new CliError(`ufile://${bucket}/${key}: InitiateMultipartUpload answered no UploadId/BlkSize`);
    return { uploadId: String(body.UploadId), blkSize: Number(body.BlkSize) };
  }

  /** @param {string} bucket @param {string} key @param {string} uploadId @param {number} part @param {Buffer} data @param {string} contentType */
  async uploadPart(bucket, key, uploadId, part, data, contentType) {
    const query = `uploadId=${encodeURIComponent(uploadId)}&partNumber=${part}`;
    const res = await this.send(bucket, { method: "PUT", key, query, body: data, contentType });
    res.stream.resume();
    return unquote(String(res.headers.etag ?? ""));
  }

  /** @param {string} bucket @param {string} key @param {string} uploadId @param {string[]} etags @param {string} contentType */
  async finish(bucket, key, uploadId, etags, contentType) {
    const query = `uploadId=${encodeURIComponent(uploadId)}`;
    const res = await this.send(bucket, { method: "POST", key, query, body: etags.join(","), contentType });
    await readAll(res.stream);
    return unquote(String(res.headers.etag ?? ""));
  }

  /** @param {string} bucket @param {string} key @param {string} uploadId */
  async abort(bucket, key, uploadId) {
    (await this.send(bucket, { method: "DELETE", key, query: `uploadId=${encodeURIComponent(uploadId)}` })).stream.resume();
  }

  /**
   * The parts the service holds for an upload (GetMultiUploadPart), or null if the upload is gone.
   * @param {string} bucket @param {string} uploadId
   * @returns {Promise<{ part: number, etag: string, size: number }[] | null>}
   */
  async listParts(bucket, uploadId) {
    const parts = [];
    for (let marker = 0; ; ) {
      const query = `muploadpart&uploadId=${encodeURIComponent(uploadId)}&max-parts=1000&part-number-marker=${marker}`;
      const res = await this.send(bucket, { method: "GET", query, ok: [200, 404] });
      const body = await readJson(res.stream);
      if (res.status === 404) {
        if (body?.RetCode === -30010) throw dataError(404, body, `ufile://${bucket}`);
        return null;
      }
      for (const p of body?.Parts ?? []) parts.push({ part: Number(p.PartNum), etag: unquote(p.Etag ?? ""), size: Number(p.Size) });
      if (!body?.IsTruncated) return parts;
      marker = Number(body.NextPartNumberMarker);
    }
  }

  /** Server-side copy. @param {string} srcBucket @param {string} srcKey @param {string} bucket @param {string} key */
  async copy(srcBucket, srcKey, bucket, key) {
    const headers = { "X-Ufile-Copy-Source": `/${srcBucket}/${keyPath(srcKey)}`, "Content-Length": "0" };
    const res = await this.send(bucket, { method: "PUT", key, headers, body: "" });
    res.stream.resume();
  }

  /** Server-side rename within a bucket, replacing the target. @param {string} bucket @param {string} key @param {string} newKey */
  async rename(bucket, key, newKey) {
    const query = `newFileName=${encodeURIComponent(newKey)}&force=true`;
    (await this.send(bucket, { method: "PUT", key, query, body: "" })).stream.resume();
  }

  /**
   * A query-signed URL (valid until `expires`, Unix seconds) for an object, or for a listing
   * (PrefixFileList, signed for /bucket/) when `list` is set.
   * @param {{ bucket: string, key: string, method: string, expires: number, contentType?: string, list?: boolean, limit?: number }} p
   */
  async presign(p) {
    requireKeys(this.settings);
    const signedKey = p.list ? "" : p.key;
    const auth = await presignedQuery(this.settings.publicKey, this.settings.privateKey, {
      method: p.method,
      bucket: p.bucket,
      key: signedKey,
      contentType: p.contentType,
      expires: p.expires,
    });
    const base = await this.base(p.bucket);
    if (p.list) {
      const listing = new URLSearchParams({ prefix: p.key, limit: String(p.limit ?? 1000) });
      return `${base}/?list&${listing}&${auth}`;
    }
    return `${base}/${keyPath(p.key)}?${auth}`;
  }
}

/** @param {string} etag */
export const unquote = (etag) => etag.replace(/^W\//, "").replace(/^"|"$/g, "");

/** @param {string} fileUrl @param {string} protocol the control URL's, e.g. "https:" */
function fromTemplate(fileUrl, protocol) {
  if (fileUrl.includes("{bucket}")) return fileUrl;
  if (fileUrl.startsWith(".")) return `${protocol}//{bucket}${fileUrl}`;
  const m = /^(https?:)\/\/(.*)$/.exec(fileUrl);
  return m ? `${m[1]}//{bucket}.${m[2]}` : `${protocol}//{bucket}.${fileUrl}`;
}
