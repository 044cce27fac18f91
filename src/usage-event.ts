/**
 * One data-plane request's usage, as sent to the usage queue (docs/design.md §7). The request path
 * only sends it (metering/events.ts); the queue consumer (metering/consumer.ts) folds events into `usage_daily`.
 * A leaf module beside config.ts, whose Env names the queue's message type.
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
  /** The part of `downloadBytes` that was read from IA objects (GetFile, GetObject). Absent: 0. */
  iaGetBytes?: number;
  /** Bytes of ARCHIVE/COLD objects whose restore this request started (Restore). Absent: 0. */
  restoreBytes?: number;
  /** When the request was served, unix seconds. */
  at: number;
}
