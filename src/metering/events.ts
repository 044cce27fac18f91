import { nowSeconds, type Env } from "../config";
import type { ServedBucket } from "../store/buckets";
import { dayStart } from "./units";

/**
 * One data-plane request's usage, as sent to the usage queue (DESIGN.md §7). The request path
 * only sends it; the queue consumer (consumer.ts) folds events into `usage_daily`.
 */
export interface UsageEvent {
  projectId: string;
  region: string;
  bucketId: string;
  /** UTC day start the usage belongs to; defaults to the day of `at`. */
  day?: number;
  requests: number;
  /** Response body bytes sent (download traffic). */
  downloadBytes: number;
  /** When the request was served, unix seconds. */
  at: number;
}

/**
 * Sends a usage event without making the request wait: the send runs inside `waitUntil`, and a
 * failure is logged, never thrown (metering must not fail a download).
 */
export function recordUsage(env: Env, ctx: ExecutionContext, event: UsageEvent): void {
  const send = async () => env.USAGE_QUEUE.send(event);
  ctx.waitUntil(
    send().catch((err: unknown) => console.error("usage event not queued", err instanceof Error ? err.message : err)),
  );
}

/** The data plane's one call per request: one request, plus the bytes of the response body. */
export function meterRequest(env: Env, ctx: ExecutionContext, bucket: ServedBucket, downloadBytes = 0): void {
  recordUsage(env, ctx, {
    projectId: bucket.projectId,
    region: bucket.region,
    bucketId: bucket.id,
    requests: 1,
    downloadBytes,
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
  return {
    projectId: e.projectId,
    region: e.region,
    bucketId: e.bucketId,
    requests: e.requests,
    downloadBytes: e.downloadBytes,
    at: e.at,
    day: e.day ?? dayStart(e.at),
  };
}
