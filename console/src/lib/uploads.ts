import { ApiFailure, BucketClient } from "./api";
import { hashFile } from "./hasher";

/**
 * The upload queue: 秒传 first, then PutFile or multipart.
 *
 * 1. Hash the file (UFile ETag, in a worker) and ask UploadHit: an identical file in the bucket
 *    makes the upload instant (no bytes sent).
 * 2. Files up to MULTIPART_FROM go up in one PutFile, with progress.
 * 3. Larger files go up in parts of the server's BlkSize, PARALLEL_PARTS at a time. The upload id
 *    is recorded in localStorage; after a page reload, giving the same file again (same bucket,
 *    key, name, size and modification time) lists the parts the server already has
 *    (GetMultiUploadPart) and sends only the missing ones.
 */
export const MULTIPART_FROM = 8 * 1024 * 1024;
const PARALLEL_FILES = 3;
const PARALLEL_PARTS = 3;

export type UploadState = "queued" | "hashing" | "uploading" | "done" | "instant" | "failed" | "interrupted";

export interface UploadItem {
  id: number;
  bucket: string;
  key: string;
  size: number;
  file: File | null;
  state: UploadState;
  /** Bytes the server has (uploading) or that were hashed (hashing). */
  progress: number;
  /** Parts that were already on the server when this upload resumed. */
  resumedParts?: number;
  /** When sending started (ms) and the bytes the server already had then: the base of rate and time left. */
  startedAt?: number;
  startBytes?: number;
  error?: string;
  errorCode?: number;
}

/** A multipart upload in progress, kept across page reloads. */
export interface ResumeRecord {
  bucket: string;
  key: string;
  uploadId: string;
  blkSize: number;
  name: string;
  size: number;
  lastModified: number;
  etag: string;
  startedAt: number;
}

const RESUME_KEY = "edgefile.console.uploads";

export function resumeRecords(): ResumeRecord[] {
  try {
    return JSON.parse(localStorage.getItem(RESUME_KEY) ?? "[]") as ResumeRecord[];
  } catch {
    return [];
  }
}

function writeRecords(records: ResumeRecord[]): void {
  localStorage.setItem(RESUME_KEY, JSON.stringify(records));
}

const sameUpload = (r: ResumeRecord, bucket: string, key: string) => r.bucket === bucket && r.key === key;

export function forgetRecord(bucket: string, key: string): void {
  writeRecords(resumeRecords().filter((r) => !sameUpload(r, bucket, key)));
}

function findRecord(bucket: string, key: string, file: File): ResumeRecord | undefined {
  return resumeRecords().find((r) => sameUpload(r, bucket, key) && r.name === file.name && r.size === file.size && r.lastModified === file.lastModified);
}

/** Bytes per second since sending started and seconds left at that rate; null until there is a rate. */
export function speed(item: UploadItem, now = Date.now()): { rate: number; left: number } | null {
  if (item.state !== "uploading" || item.startedAt === undefined) return null;
  const seconds = (now - item.startedAt) / 1000;
  const sent = item.progress - (item.startBytes ?? 0);
  if (seconds < 0.25 || sent <= 0) return null;
  const rate = sent / seconds;
  return { rate, left: (item.size - item.progress) / rate };
}

const mimeOf = (file: File) => file.type || "application/octet-stream";

type Listener = () => void;

export class UploadQueue {
  items: UploadItem[] = [];
  private nextId = 1;
  private running = 0;
  private listeners = new Set<Listener>();
  private clients = new Map<string, BucketClient>();
  /** Called after every finished file (the file list refreshes). */
  onFinished?: (bucket: string) => void;

  constructor(private readonly client: (bucket: string) => BucketClient) {
    // Multipart uploads a reload interrupted: shown until the file is given again, or discarded.
    for (const r of resumeRecords()) {
      this.items.push({ id: this.nextId++, bucket: r.bucket, key: r.key, size: r.size, file: null, state: "interrupted", progress: 0 });
    }
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private update(item: UploadItem, patch: Partial<UploadItem>): void {
    Object.assign(item, patch);
    this.changed();
  }

  private bucketClient(bucket: string): BucketClient {
    let c = this.clients.get(bucket);
    if (!c) this.clients.set(bucket, (c = this.client(bucket)));
    return c;
  }

  /** Queues files under keys; a file matching an interrupted upload resumes it. */
  add(bucket: string, files: { file: File; key: string }[]): void {
    for (const { file, key } of files) {
      const waiting = this.items.find((i) => i.bucket === bucket && i.key === key && (i.state === "interrupted" || i.state === "failed"));
      if (waiting) this.update(waiting, { file, size: file.size, state: "queued", progress: 0, error: undefined });
      else this.items.push({ id: this.nextId++, bucket, key, size: file.size, file, state: "queued", progress: 0 });
    }
    this.changed();
    this.pump();
  }

  /** Gives up an interrupted multipart upload: the server drops its parts. */
  async discard(item: UploadItem): Promise<void> {
    const record = resumeRecords().find((r) => sameUpload(r, item.bucket, item.key));
    if (record) await this.bucketClient(item.bucket).abortMultipart(record.key, record.uploadId).catch(() => undefined);
    forgetRecord(item.bucket, item.key);
    this.items = this.items.filter((i) => i !== item);
    this.changed();
  }

  /** Drops uploads that need nothing more from the user (uploaded or instant); failures and interruptions stay. */
  clearDone(): void {
    const kept = this.items.filter((i) => i.state !== "done" && i.state !== "instant");
    if (kept.length === this.items.length) return;
    this.items = kept;
    this.changed();
  }

  clearFinished(): void {
    this.items = this.items.filter((i) => !["done", "instant", "failed"].includes(i.state));
    this.changed();
  }

  get totals(): { size: number; progress: number; active: number } {
    const counted = this.items.filter((i) => i.state !== "interrupted");
    return {
      size: counted.reduce((n, i) => n + i.size, 0),
      progress: counted.reduce((n, i) => n + (i.state === "hashing" ? 0 : i.progress), 0),
      active: counted.filter((i) => i.state === "queued" || i.state === "hashing" || i.state === "uploading").length,
    };
  }

  private pump(): void {
    while (this.running < PARALLEL_FILES) {
      const next = this.items.find((i) => i.state === "queued");
      if (!next) return;
      this.running++;
      this.update(next, { state: "hashing" });
      this.run(next).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(item: UploadItem): Promise<void> {
    const file = item.file!;
    const client = this.bucketClient(item.bucket);
    try {
      const etag = await hashFile(file, (hashed) => this.update(item, { progress: hashed }));
      if (await client.uploadHit(item.key, etag, file.size)) {
        forgetRecord(item.bucket, item.key);
        this.update(item, { state: "instant", progress: file.size });
      } else {
        this.update(item, { state: "uploading", progress: 0, startedAt: Date.now(), startBytes: 0 });
        if (file.size < MULTIPART_FROM) await client.put(item.key, file, mimeOf(file), (n) => this.update(item, { progress: n }));
        else await this.multipart(client, item, file, etag);
        this.update(item, { state: "done", progress: file.size });
      }
      this.onFinished?.(item.bucket);
    } catch (e) {
      const record = findRecord(item.bucket, item.key, file);
      this.update(item, {
        state: record ? "interrupted" : "failed",
        error: e instanceof Error ? e.message : String(e),
        errorCode: e instanceof ApiFailure ? e.code : undefined,
      });
    }
  }

  private async multipart(client: BucketClient, item: UploadItem, file: File, etag: string): Promise<void> {
    const mime = mimeOf(file);
    let record = findRecord(item.bucket, item.key, file);
    // An interrupted upload of another file under this key will never finish: let the server drop its parts.
    const stale = record ? undefined : resumeRecords().find((r) => sameUpload(r, item.bucket, item.key));
    if (stale) {
      await client.abortMultipart(stale.key, stale.uploadId).catch(() => undefined);
      forgetRecord(item.bucket, item.key);
    }
    const done = new Map<number, string>();
    if (record) {
      try {
        for (const p of await client.listParts(record.uploadId)) {
          const expected = Math.min(record.blkSize, file.size - p.PartNum * record.blkSize);
          if (p.Size === expected) done.set(p.PartNum, p.Etag);
        }
      } catch (e) {
        // The upload is gone (finished elsewhere, aborted, or swept by the cron): start again.
        if (!(e instanceof ApiFailure && e.status === 404)) throw e;
        forgetRecord(item.bucket, item.key);
        record = undefined;
        done.clear();
      }
    }
    if (!record) {
      const init = await client.initiateMultipart(item.key, mime);
      record = { bucket: item.bucket, key: item.key, uploadId: init.UploadId, blkSize: init.BlkSize, name: file.name, size: file.size, lastModified: file.lastModified, etag, startedAt: Date.now() };
      writeRecords([...resumeRecords().filter((r) => !sameUpload(r, item.bucket, item.key)), record]);
    }
    const { uploadId, blkSize } = record;
    const count = Math.max(1, Math.ceil(file.size / blkSize));
    const inFlight = new Map<number, number>();
    const partSize = (n: number) => Math.min(blkSize, file.size - n * blkSize);
    const report = () => {
      let sum = 0;
      for (const n of done.keys()) sum += partSize(n);
      for (const b of inFlight.values()) sum += b;
      this.update(item, { progress: sum });
    };
    this.update(item, { resumedParts: done.size });
    report();
    // Parts resumed from the server were not sent now: they do not count towards the rate.
    this.update(item, { startedAt: Date.now(), startBytes: item.progress });
    const todo = Array.from({ length: count }, (_, n) => n).filter((n) => !done.has(n));
    const worker = async () => {
      for (let n = todo.shift(); n !== undefined; n = todo.shift()) {
        const part = file.slice(n * blkSize, n * blkSize + partSize(n));
        const partEtag = await client.uploadPart(item.key, uploadId, n, part, mime, (b) => {
          inFlight.set(n!, b);
          report();
        });
        inFlight.delete(n);
        done.set(n, partEtag);
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, todo.length) }, worker));
    const finalEtag = await client.finishMultipart(item.key, uploadId, Array.from({ length: count }, (_, n) => done.get(n)!), mime);
    forgetRecord(item.bucket, item.key);
    // The server computed the ETag from the bytes it stored: it must be the one hashed here.
    if (finalEtag && finalEtag !== etag) throw new Error(`stored file differs from the local file (ETag ${finalEtag}, expected ${etag})`);
  }
}
