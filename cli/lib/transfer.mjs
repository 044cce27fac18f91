// @ts-check
// Moving bytes: uploads (秒传 first, then PutFile or a parallel, resumable multipart upload),
// uploads from a stream (stdin), and downloads checked against the object's ETag.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { CliError, EXIT } from "./errors.mjs";
import { UFileEtag, fileEtag, partEtag, sameEtag } from "./etag.mjs";
import { backoff, netSettings, sleep } from "./net.mjs";

/** Files up to this size go up in one PutFile; larger ones in multipart. */
export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
/** 秒传 is tried for files of at least this size: below it, sending the bytes costs about as much as asking. */
export const HIT_MIN_BYTES = 1024 * 1024;

/**
 * @typedef {{ data: import("./data.mjs").DataPlane, concurrency: number, hit: boolean }} TransferContext
 * @typedef {{ bucket: string, key: string, size: number, etag: string, how: "hit" | "put" | "multipart",
 *             partsSent?: number, partsSkipped?: number, uploadId?: string }} UploadResult
 */

/** Where interrupted multipart uploads are remembered, one JSON file per upload id. */
export function stateDir() {
  if (process.env.EDGEFILE_STATE_DIR) return process.env.EDGEFILE_STATE_DIR;
  const base = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "edgefile", "uploads");
}

/**
 * Uploads one local file.
 * @param {TransferContext} ctx
 * @param {{ path: string, bucket: string, key: string, contentType: string, etag?: string,
 *           progress?: import("./output.mjs").Progress }} job etag: the file's UFile ETag if already known
 * @returns {Promise<UploadResult>}
 */
export async function uploadFile(ctx, job) {
  const { data } = ctx;
  const info = await stat(job.path).catch(() => {
    throw new CliError(`${job.path}: no such file`, EXIT.failed);
  });
  if (!info.isFile()) throw new CliError(`${job.path}: not a regular file`, EXIT.failed);
  const size = info.size;
  let etag = job.etag;
  if (ctx.hit && size >= HIT_MIN_BYTES) {
    etag ??= await fileEtag(job.path);
    if (await data.uploadHit(job.bucket, job.key, etag, size)) {
      job.progress?.add(size);
      return { bucket: job.bucket, key: job.key, size, etag, how: "hit" };
    }
  }
  if (size <= MULTIPART_THRESHOLD) {
    let counted = 0;
    const body = () => {
      job.progress?.add(-counted); // a retried request sends (and counts) the bytes again
      counted = 0;
      return createReadStream(job.path).pipe(counter((n) => {
        counted += n;
        job.progress?.add(n);
      }));
    };
    const stored = await data.put(job.bucket, job.key, body, size, job.contentType);
    checkEtag(job, etag, stored);
    return { bucket: job.bucket, key: job.key, size, etag: stored, how: "put" };
  }
  return multipartFile(ctx, job, size, info.mtimeMs, etag);
}

/**
 * Multipart upload of a file in BlkSize parts, `concurrency` at a time. The upload id and the file's
 * identity are kept in a state file until Finish; a later run for the same file and target finds it,
 * asks the service which parts it holds (GetMultiUploadPart) and sends only the others.
 * @param {TransferContext} ctx
 * @param {{ path: string, bucket: string, key: string, contentType: string, progress?: import("./output.mjs").Progress }} job
 * @param {number} size @param {number} mtimeMs @param {string | undefined} etag
 * @returns {Promise<UploadResult>}
 */
async function multipartFile(ctx, job, size, mtimeMs, etag) {
  const { data } = ctx;
  const identity = { base: await data.base(job.bucket), bucket: job.bucket, key: job.key, path: resolve(job.path), size, mtimeMs };
  const found = findState(identity);
  // An upload of an older version of this file to the same target: abandon it (the bytes changed).
  if (found?.stale) {
    await data.abort(job.bucket, job.key, found.state.uploadId).catch(() => {});
    dropState(found.state.uploadId);
  }
  let state = found?.stale ? null : (found?.state ?? null);
  /** @type {Map<number, string>} part number → part ETag already on the service */
  const held = new Map();
  if (state) {
    const parts = await data.listParts(job.bucket, state.uploadId);
    if (parts === null) {
      dropState(state.uploadId); // aborted or expired on the service: start over
      state = null;
    } else {
      for (const p of parts) held.set(p.part, p.etag);
    }
  }
  if (!state) {
    const { uploadId, blkSize } = await data.initiate(job.bucket, job.key, job.contentType);
    state = { ...identity, uploadId, blkSize, started: new Date().toISOString() };
    saveState(state);
  }
  const { uploadId, blkSize } = state;
  const count = Math.ceil(size / blkSize);
  const file = await open(job.path, "r");
  try {
    /** @type {string[]} */
    const etags = new Array(count);
    /** @type {number[]} */
    const todo = [];
    for (let part = 0; part < count; part++) {
      const stored = held.get(part);
      // A listed part is kept only if it still holds these bytes (the file may have changed).
      if (stored && stored === partEtag(await readPart(file, part, blkSize, size))) {
        etags[part] = stored;
        job.progress?.add(partLength(part, blkSize, size));
      } else todo.push(part);
    }
    const partsSent = todo.length;
    let failed = false;
    const worker = async () => {
      while (!failed && todo.length > 0) {
        const part = /** @type {number} */ (todo.shift());
        const bytes = await readPart(file, part, blkSize, size);
        const expected = partEtag(bytes);
        const returned = await data.uploadPart(job.bucket, job.key, uploadId, part, bytes, job.contentType);
        if (returned && returned !== expected) {
          throw new CliError(`ufile://${job.bucket}/${job.key}: part ${part} stored with ETag ${returned}, expected ${expected}`);
        }
        etags[part] = expected;
        job.progress?.add(bytes.length);
      }
    };
    const workers = Array.from({ length: Math.max(1, Math.min(ctx.concurrency, todo.length)) }, () =>
      worker().catch((e) => {
        failed = true;
        throw e;
      }),
    );
    const results = await Promise.allSettled(workers);
    const failure = results.find((r) => r.status === "rejected");
    if (failure) {
      const reason = /** @type {PromiseRejectedResult} */ (failure).reason;
      if (reason instanceof CliError) reason.message += ` (upload ${uploadId} kept: run the same command again to resume)`;
      throw reason;
    }
    const stored = await data.finish(job.bucket, job.key, uploadId, etags, job.contentType);
    dropState(uploadId);
    checkEtag(job, etag, stored);
    return { bucket: job.bucket, key: job.key, size, etag: stored, how: "multipart", partsSent, partsSkipped: count - partsSent, uploadId };
  } finally {
    await file.close();
  }
}

/**
 * Uploads a stream of unknown length (stdin): one PutFile if it ends within the first part,
 * else multipart with parts buffered in memory (no resume: the bytes cannot be read again).
 * @param {TransferContext} ctx
 * @param {{ stream: NodeJS.ReadableStream, bucket: string, key: string, contentType: string,
 *           progress?: import("./output.mjs").Progress }} job
 * @returns {Promise<UploadResult>}
 */
export async function uploadStream(ctx, job) {
  const { data } = ctx;
  const iterator = job.stream[Symbol.asyncIterator]();
  /** @type {Buffer[]} */
  let pending = [];
  let pendingBytes = 0;
  let ended = false;
  /** Reads until `want` bytes are buffered or the stream ends; returns up to `want` bytes. @param {number} want */
  const take = async (want) => {
    while (!ended && pendingBytes < want) {
      const next = await iterator.next();
      if (next.done) ended = true;
      else {
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
        pending.push(chunk);
        pendingBytes += chunk.length;
      }
    }
    const all = Buffer.concat(pending);
    const out = all.subarray(0, want);
    pending = [all.subarray(want)];
    pendingBytes = all.length - out.length;
    return out;
  };
  const first = await take(MULTIPART_THRESHOLD + 1);
  if (first.length <= MULTIPART_THRESHOLD) {
    const stored = await data.put(job.bucket, job.key, first, first.length, job.contentType);
    job.progress?.add(first.length);
    return { bucket: job.bucket, key: job.key, size: first.length, etag: stored, how: "put" };
  }
  pending.unshift(first);
  pendingBytes += first.length;
  const { uploadId, blkSize } = await data.initiate(job.bucket, job.key, job.contentType);
  /** @type {string[]} */
  const etags = [];
  /** @type {Set<Promise<void>>} */
  const inFlight = new Set();
  let size = 0;
  try {
    for (let part = 0; ; part++) {
      const bytes = await take(blkSize);
      if (bytes.length === 0 && part > 0) break;
      size += bytes.length;
      etags[part] = partEtag(bytes);
      const sending = data.uploadPart(job.bucket, job.key, uploadId, part, bytes, job.contentType).then(() => {
        job.progress?.add(bytes.length);
        inFlight.delete(sending);
      });
      inFlight.add(sending);
      if (inFlight.size >= ctx.concurrency) await Promise.race(inFlight);
      if (bytes.length < blkSize) break;
    }
    await Promise.all(inFlight);
    const stored = await data.finish(job.bucket, job.key, uploadId, etags, job.contentType);
    return { bucket: job.bucket, key: job.key, size, etag: stored, how: "multipart", partsSent: etags.length, partsSkipped: 0, uploadId };
  } catch (e) {
    await Promise.allSettled(inFlight);
    await data.abort(job.bucket, job.key, uploadId).catch(() => {});
    throw e;
  }
}

/**
 * Downloads an object to a file: written to a temporary name, checked against the ETag, then renamed.
 * A connection that breaks mid-body is retried from the start, with backoff, like any network error.
 * @param {TransferContext} ctx
 * @param {{ bucket: string, key: string, path: string, progress?: import("./output.mjs").Progress }} job
 */
export async function downloadFile(ctx, job) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadOnce(ctx, job);
    } catch (e) {
      if (e instanceof CliError || attempt >= netSettings.retries) {
        if (e instanceof CliError) throw e;
        throw new CliError(`ufile://${job.bucket}/${job.key}: download failed: ${/** @type {Error} */ (e).message}`);
      }
      await sleep(backoff(attempt));
    }
  }
}

/** @param {TransferContext} ctx @param {{ bucket: string, key: string, path: string, progress?: import("./output.mjs").Progress }} job */
async function downloadOnce(ctx, job) {
  const res = await ctx.data.get(job.bucket, job.key);
  const expected = String(res.headers.etag ?? "").replace(/^"|"$/g, "");
  mkdirSync(dirname(resolve(job.path)), { recursive: true });
  const temp = join(dirname(resolve(job.path)), `.${basename(job.path)}.edgefile-partial`);
  const hash = new UFileEtag();
  let size = 0;
  try {
    await pipeline(
      res.stream,
      new Transform({
        transform(chunk, _enc, done) {
          hash.update(chunk);
          size += chunk.length;
          job.progress?.add(chunk.length);
          done(null, chunk);
        },
      }),
      createWriteStream(temp),
    );
    const got = await hash.digest();
    if (expected && !sameEtag(expected, got)) {
      throw new CliError(`ufile://${job.bucket}/${job.key}: downloaded bytes have ETag ${got}, the service says ${expected}`);
    }
    renameSync(temp, job.path);
  } catch (e) {
    rmSync(temp, { force: true });
    job.progress?.add(-size); // a retry counts these bytes again
    throw e;
  }
  return { bucket: job.bucket, key: job.key, path: job.path, size, etag: expected };
}

/** Passes bytes through, reporting each chunk's length. @param {(bytes: number) => void} onBytes */
function counter(onBytes) {
  return new Transform({
    transform(chunk, _enc, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

/** @param {{ bucket: string, key: string }} job @param {string | undefined} local @param {string} stored */
function checkEtag(job, local, stored) {
  if (local && stored && !sameEtag(local, stored)) {
    throw new CliError(`ufile://${job.bucket}/${job.key}: stored with ETag ${stored}, but the local file has ${local}`);
  }
}

/** @param {number} part @param {number} blkSize @param {number} size */
const partLength = (part, blkSize, size) => Math.min(blkSize, size - part * blkSize);

/** @param {import("node:fs/promises").FileHandle} file @param {number} part @param {number} blkSize @param {number} size */
async function readPart(file, part, blkSize, size) {
  const length = partLength(part, blkSize, size);
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await file.read(buffer, read, length - read, part * blkSize + read);
    if (bytesRead === 0) throw new CliError(`file shrank while uploading (part ${part})`);
    read += bytesRead;
  }
  return buffer;
}

/**
 * @typedef {{ base: string, bucket: string, key: string, path: string, size: number, mtimeMs: number,
 *             uploadId: string, blkSize: number, started: string }} UploadState
 */

/** @param {string} uploadId */
const stateFile = (uploadId) => join(stateDir(), `${encodeURIComponent(uploadId)}.json`);

/** @param {UploadState} state */
function saveState(state) {
  mkdirSync(stateDir(), { recursive: true });
  writeFileSync(stateFile(state.uploadId), JSON.stringify(state, null, 2) + "\n");
}

/** @param {string} uploadId */
function dropState(uploadId) {
  rmSync(stateFile(uploadId), { force: true });
}

/**
 * The remembered upload of this file to the same target. `stale` when the file has changed since
 * (another size or modification time): its parts cannot be reused.
 * @param {Omit<UploadState, "uploadId" | "blkSize" | "started">} id
 * @returns {{ state: UploadState, stale: boolean } | null}
 */
function findState(id) {
  if (!existsSync(stateDir())) return null;
  for (const name of readdirSync(stateDir())) {
    if (!name.endsWith(".json")) continue;
    try {
      const s = JSON.parse(readFileSync(join(stateDir(), name), "utf8"));
      if (s.base === id.base && s.bucket === id.bucket && s.key === id.key && s.path === id.path) {
        return { state: s, stale: s.size !== id.size || s.mtimeMs !== id.mtimeMs };
      }
    } catch {
      // a torn or foreign file: ignore it
    }
  }
  return null;
}
