import { nowSeconds, settings, type Env } from "../config";
import type { ServedBucket } from "../store/buckets";
import { dayStart } from "./units";
import type { UsageEvent } from "../usage-event";
import { isolateWindows } from "../isolate-window";

export type { UsageEvent } from "../usage-event";

/**
 * Usage waiting to be sent, folded per (project, region, bucket, day): by bucket id, then a short list
 * (one entry but for a window that spans midnight). The bucket id is a string the isolate's bucket
 * row already holds, so no key is built per request.
 */
type Folded = Map<string, (UsageEvent & { day: number })[]>;

/** Queues accept at most 100 messages per sendBatch. */
const SEND_BATCH_MAX = 100;

async function flush(env: Env, events: (UsageEvent & { day: number })[]): Promise<void> {
  for (let i = 0; i < events.length; i += SEND_BATCH_MAX) {
    await env.USAGE_QUEUE.sendBatch(events.slice(i, i + SEND_BATCH_MAX).map((body) => ({ body })));
  }
}

/**
 * The isolate's usage of the last `USAGE_FLUSH_MS`, sent as one `sendBatch` per window
 * (src/isolate-window.ts) instead of one `send` per request: fewer Queue operations (they are
 * billed) and less work on the request path, where a send per request is the largest cost of a GET
 * or HEAD (docs/performance.md).
 */
const usageWindow = isolateWindows<Folded>({
  open: () => new Map(),
  flush: (env, folded) => flush(env, [...folded.values()].flat()),
  ms: (env) => settings(env).usageFlushMs,
  failure: "usage events not queued",
});

/**
 * Records usage without making the request wait: folded into the isolate's pending usage and
 * sent inside `waitUntil`; a failure is logged, never thrown (metering must not fail a download).
 */
export function recordUsage(env: Env, ctx: ExecutionContext, event: UsageEvent): void {
  const day = event.day ?? dayStart(event.at);
  const window = usageWindow(env, ctx);
  let ofBucket = window.get(event.bucketId);
  if (!ofBucket) window.set(event.bucketId, (ofBucket = []));
  let folded: (UsageEvent & { day: number }) | undefined;
  for (const f of ofBucket) if (f.day === day && f.projectId === event.projectId && f.region === event.region) folded = f;
  if (folded) {
    folded.requests += event.requests;
    folded.downloadBytes += event.downloadBytes;
    folded.iaGetBytes = (folded.iaGetBytes ?? 0) + (event.iaGetBytes ?? 0);
    folded.restoreBytes = (folded.restoreBytes ?? 0) + (event.restoreBytes ?? 0);
    folded.at = Math.max(folded.at, event.at);
  } else {
    ofBucket.push({ ...event, day });
  }
}

/** What a request moved, beyond being one request. */
export interface RequestBytes {
  /** Response body bytes sent. */
  download?: number;
  /** The part of `download` read from an IA object. */
  iaGet?: number;
  /** Bytes of an ARCHIVE/COLD object whose restore the request started. */
  restore?: number;
}

/** The data plane's one call per request: one request, plus the bytes it moved. */
export function meterRequest(env: Env, ctx: ExecutionContext, bucket: ServedBucket, bytes: RequestBytes = {}): void {
  recordUsage(env, ctx, {
    projectId: bucket.projectId,
    region: bucket.region,
    bucketId: bucket.id,
    requests: 1,
    downloadBytes: bytes.download ?? 0,
    iaGetBytes: bytes.iaGet ?? 0,
    restoreBytes: bytes.restore ?? 0,
    at: nowSeconds(),
  });
}

/**
 * Bytes of an ARCHIVE/COLD object whose restore a request started (Restore): AcRestore of
 * GetUFileDailyReport. Not a request of its own (the front meters the request).
 */
export function meterRestore(env: Env, ctx: ExecutionContext, bucket: ServedBucket, bytes: number): void {
  recordUsage(env, ctx, {
    projectId: bucket.projectId,
    region: bucket.region,
    bucketId: bucket.id,
    requests: 0,
    downloadBytes: 0,
    restoreBytes: bytes,
    at: nowSeconds(),
  });
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isId = (v: unknown): v is string => typeof v === "string" && v !== "";

/** A queue message body as a usage event with its day resolved, or null when it is not one. */
export function parseUsageEvent(body: unknown): (UsageEvent & { day: number }) | null {
  if (!body || typeof body !== "object") return null;
  const e = body as Partial<Record<keyof UsageEvent, unknown>>;
  if (!isId(e.projectId) || !isId(e.region) || !isId(e.bucketId)) return null;
  if (!isCount(e.requests) || !isCount(e.downloadBytes) || !isCount(e.at)) return null;
  if (e.day !== undefined && !(isCount(e.day) && dayStart(e.day) === e.day)) return null;
  // Optional: events queued before these counters existed carry neither.
  if ((e.iaGetBytes !== undefined && !isCount(e.iaGetBytes)) || (e.restoreBytes !== undefined && !isCount(e.restoreBytes))) return null;
  return {
    projectId: e.projectId,
    region: e.region,
    bucketId: e.bucketId,
    requests: e.requests,
    downloadBytes: e.downloadBytes,
    iaGetBytes: e.iaGetBytes ?? 0,
    restoreBytes: e.restoreBytes ?? 0,
    at: e.at,
    day: e.day ?? dayStart(e.at),
  };
}
