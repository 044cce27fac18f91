import { ApiError } from "./errors";
import { checkFileDomain } from "./file-domain";
import type { UsageEvent } from "./usage-event";

/**
 * Bindings and settings. Every setting is documented in docs/configuration.md;
 * keep the two in step.
 */
export interface Env {
  /** The control database (buckets, tokens, usage, quotas), and the first index shard. */
  DB: D1Database;
  /** More index shards (docs/design.md "Scale-out", docs/deploy.md "Index shards"): any number. */
  [shard: `INDEX_${string}`]: D1Database | undefined;
  /** Where each index shard was created: `DB=cn-bj,INDEX_1=us-ca`; a shard not named serves every region. */
  SHARD_REGIONS?: string;
  BLOBS: R2Bucket;
  /** Root key pair (secrets). Without them every signed request is refused. */
  ROOT_PUBLIC_KEY?: string;
  ROOT_PRIVATE_KEY?: string;
  /**
   * Data-plane host suffix: bucket `demo` is served at `demo.<FILE_DOMAIN>`. A bare domain
   * (src/file-domain.ts); anything else makes every request fail with 15004.
   */
  FILE_DOMAIN?: string;
  /** Optional custom domains: `host=bucket,host2=bucket2`. */
  CUSTOM_HOSTS?: string;
  /**
   * The S3 endpoint's host (docs/s3.md "Addressing"): path style `<S3_HOST>/<bucket>/<key>`,
   * virtual-hosted `<bucket>.<S3_HOST>`. Unset: FILE_DOMAIN (then `<bucket>.<FILE_DOMAIN>` is S3
   * only for requests signed with SigV4). Path style also works on any host that is not a bucket host.
   */
  S3_HOST?: string;
  /**
   * The web console's host (src/console.ts, docs/security.md "Origins"): an origin of its own where no
   * path serves bucket content. Unset: `console.<FILE_DOMAIN>` (locally `console.localhost:8787`).
   */
  CONSOLE_HOST?: string;
  DEFAULT_PROJECT_ID?: string;
  DEFAULT_REGION?: string;
  /** A bucket younger than this cannot be deleted (15014). */
  BUCKET_MIN_AGE_SECONDS?: string;
  /** ARCHIVE/COLD restore: seconds until readable, and how long it stays readable. */
  RESTORE_DELAY_SECONDS?: string;
  RESTORE_WINDOW_SECONDS?: string;
  /** A PutFile body without Content-Length is buffered up to this many bytes, else 411. */
  MAX_BUFFERED_BODY_BYTES?: string;
  /**
   * Secret from which the key encrypting token private keys is derived (HKDF-SHA256 → AES-GCM).
   * Unset, ROOT_PRIVATE_KEY is used instead, so that a fresh local clone runs; production should
   * set its own, since rotating the root key would otherwise make every stored token unreadable.
   */
  TOKEN_SECRET?: string;
  /** Most tokens one project may hold (15038). */
  TOKEN_LIMIT_PER_PROJECT?: string;
  /** The web console's static files (wrangler.toml `[assets]`, src/console.ts); absent = no console. */
  ASSETS?: Fetcher;
  /** Usage events of the data plane, folded into D1 by this Worker's `queue` handler. */
  USAGE_QUEUE: Queue<UsageEvent>;
  /** Quota a project gets in a region before it buys any: GB·day, GB, 万次 (10⁴ requests). */
  DEFAULT_QUOTA_STORAGE_GB_DAY?: string;
  DEFAULT_QUOTA_DOWNLOAD_GB?: string;
  DEFAULT_QUOTA_REQUESTS_10K?: string;
  /** Days a processed usage-message id is kept, so that a redelivery is not counted twice. */
  USAGE_DEDUP_DAYS?: string;
  /** Usage events are folded per isolate for this long, then sent as one queue batch. */
  USAGE_FLUSH_MS?: string;
  /** Access-log lines are gathered per isolate for this long, then written together; 0: each at once. */
  ACCESS_LOG_FLUSH_MS?: string;
  /** Multipart BlkSize in bytes: a multiple of 4 MiB and at least 5 MiB (docs/ufile.md "Multipart upload"). */
  MULTIPART_BLOCK_SIZE?: string;
  /** A multipart upload this old (counted from its start, whatever parts it received since) is aborted by the cron. */
  MULTIPART_MAX_AGE_SECONDS?: string;
  /** Most multipart uploads one bucket may hold open at once (TooManyUploads beyond). */
  MULTIPART_MAX_OPEN_UPLOADS?: string;
  /** Objects the lifecycle rules look at per cron run, over all buckets (src/core/lifecycle.ts). */
  LIFECYCLE_OBJECTS_PER_RUN?: string;
  /** A bucket's lifecycle scan, once it has reached the last key, starts again no sooner than this. */
  LIFECYCLE_PASS_INTERVAL_SECONDS?: string;
  /**
   * Development only: a lifecycle "day" lasts this many seconds (RGW's `rgw lc debug interval`), so
   * that rules of N days act N × this seconds after a write. Unset in production (deploy:check refuses it).
   */
  LIFECYCLE_DEBUG_DAY_SECONDS?: string;
  /** Objects of one bucket on one shard above which housekeeping proposes a split (unset or 0: never). */
  SPLIT_OBJECTS_THRESHOLD?: string;
  /** `true`: housekeeping starts the split it proposes (a range move, docs/operations.md). */
  SPLIT_AUTO?: string;
}

export interface Settings {
  fileDomain: string;
  s3Host: string;
  consoleHost: string;
  customHosts: Map<string, string>;
  defaultProjectId: string;
  defaultRegion: string;
  bucketMinAgeSeconds: number;
  restoreDelaySeconds: number;
  restoreWindowSeconds: number;
  maxBufferedBodyBytes: number;
  tokenLimitPerProject: number;
  /** Grant of a (project, region) that never bought quota: storage GB·day, download GB, 万次. */
  defaultQuota: { storage: number; traffic: number; requests: number };
  usageDedupDays: number;
  usageFlushMs: number;
  accessLogFlushMs: number;
  multipartBlockSize: number;
  multipartMaxAgeSeconds: number;
  multipartMaxOpenUploads: number;
  lifecycleObjectsPerRun: number;
  lifecyclePassIntervalSeconds: number;
  /** The length of a lifecycle day: 86 400 s, or LIFECYCLE_DEBUG_DAY_SECONDS when set (> 0). */
  lifecycleDaySeconds: number;
  /** 0: no split proposals. */
  splitObjectsThreshold: number;
  splitAuto: boolean;
}

const MiB = 1024 * 1024;
export const DEFAULT_MULTIPART_BLOCK_SIZE = 8 * MiB;

/**
 * BlkSize must be a multiple of the 4 MiB ETag window (so that every window lies inside one part
 * and Finish derives the ETag without re-reading) and at least 5 MiB (R2's smallest non-final
 * part). Any other value falls back to 8 MiB, with a log line.
 */
function blockSizeSetting(raw: string | undefined): number {
  const n = intSetting(raw, DEFAULT_MULTIPART_BLOCK_SIZE);
  if (n % (4 * MiB) === 0 && n >= 5 * MiB) return n;
  console.warn(`MULTIPART_BLOCK_SIZE=${raw} ignored: it must be a multiple of 4194304 and at least 5242880; using ${DEFAULT_MULTIPART_BLOCK_SIZE}`);
  return DEFAULT_MULTIPART_BLOCK_SIZE;
}

function intSetting(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}

/** A FILE_DOMAIN with a scheme, port or path is refused (15004, naming the value to write instead). */
function fileDomainSetting(raw: string | undefined): string {
  const check = checkFileDomain(raw);
  if (check.problem !== undefined) throw new ApiError("ServiceUnavailable", check.problem);
  return check.domain;
}

/** A host setting written with a port or a leading dot means the bare host name. */
const bareHost = (raw: string): string => raw.trim().toLowerCase().replace(/^\./, "").replace(/:\d+$/, "");

function consoleHostSetting(raw: string | undefined, fileDomain: string | undefined): string {
  return raw?.trim() ? bareHost(raw) : `console.${fileDomainSetting(fileDomain)}`;
}

function parseHostMap(raw: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of (raw ?? "").split(",")) {
    const [host, bucket] = pair.split("=").map((s) => s.trim().toLowerCase());
    if (host && bucket) map.set(host, bucket);
  }
  return map;
}

const cache = new WeakMap<Env, Settings>();

/**
 * Parsed settings, computed once per env object (once per isolate in production). Throws
 * ApiError 15004 ("service is not configured") when a setting cannot be used at all.
 */
export function settings(env: Env): Settings {
  let s = cache.get(env);
  if (!s) {
    s = {
      fileDomain: fileDomainSetting(env.FILE_DOMAIN),
      s3Host: (env.S3_HOST || env.FILE_DOMAIN || "localhost").toLowerCase().replace(/^\./, "").replace(/:\d+$/, ""),
      consoleHost: consoleHostSetting(env.CONSOLE_HOST, env.FILE_DOMAIN),
      customHosts: parseHostMap(env.CUSTOM_HOSTS),
      defaultProjectId: env.DEFAULT_PROJECT_ID || "org-edgefile",
      defaultRegion: env.DEFAULT_REGION || "cn-bj",
      bucketMinAgeSeconds: intSetting(env.BUCKET_MIN_AGE_SECONDS, 20 * 60),
      restoreDelaySeconds: intSetting(env.RESTORE_DELAY_SECONDS, 0),
      restoreWindowSeconds: intSetting(env.RESTORE_WINDOW_SECONDS, 24 * 3600),
      maxBufferedBodyBytes: intSetting(env.MAX_BUFFERED_BODY_BYTES, 8 * 1024 * 1024),
      tokenLimitPerProject: intSetting(env.TOKEN_LIMIT_PER_PROJECT, 100),
      // 1 TB stored for a month, 1 TB downloaded, 100 million requests (docs/metering.md "Quotas").
      defaultQuota: {
        storage: intSetting(env.DEFAULT_QUOTA_STORAGE_GB_DAY, 30_000),
        traffic: intSetting(env.DEFAULT_QUOTA_DOWNLOAD_GB, 1_000),
        requests: intSetting(env.DEFAULT_QUOTA_REQUESTS_10K, 10_000),
      },
      // Queues keep an unacknowledged message 4 days by default; ids kept as long make counting exact.
      usageDedupDays: intSetting(env.USAGE_DEDUP_DAYS, 4),
      usageFlushMs: intSetting(env.USAGE_FLUSH_MS, 1000),
      accessLogFlushMs: intSetting(env.ACCESS_LOG_FLUSH_MS, 1000),
      multipartBlockSize: blockSizeSetting(env.MULTIPART_BLOCK_SIZE),
      // R2 itself aborts an incomplete multipart upload after 7 days.
      multipartMaxAgeSeconds: intSetting(env.MULTIPART_MAX_AGE_SECONDS, 24 * 3600),
      multipartMaxOpenUploads: intSetting(env.MULTIPART_MAX_OPEN_UPLOADS, 100),
      lifecycleObjectsPerRun: intSetting(env.LIFECYCLE_OBJECTS_PER_RUN, 20_000),
      lifecyclePassIntervalSeconds: intSetting(env.LIFECYCLE_PASS_INTERVAL_SECONDS, 3600),
      lifecycleDaySeconds: intSetting(env.LIFECYCLE_DEBUG_DAY_SECONDS, 0) || 86_400,
      splitObjectsThreshold: intSetting(env.SPLIT_OBJECTS_THRESHOLD, 0),
      splitAuto: env.SPLIT_AUTO?.trim().toLowerCase() === "true",
    };
    cache.set(env, s);
  }
  return s;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
