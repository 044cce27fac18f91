/**
 * Bindings and settings. Every setting is documented in README.md ("Configuration");
 * keep the two in step.
 */
export interface Env {
  DB: D1Database;
  BLOBS: R2Bucket;
  /** Root key pair (secrets). Without them every signed request is refused. */
  ROOT_PUBLIC_KEY?: string;
  ROOT_PRIVATE_KEY?: string;
  /** Data-plane host suffix: bucket `demo` is served at `demo.<FILE_DOMAIN>`. */
  FILE_DOMAIN?: string;
  /** Optional custom domains: `host=bucket,host2=bucket2`. */
  CUSTOM_HOSTS?: string;
  DEFAULT_PROJECT_ID?: string;
  DEFAULT_REGION?: string;
  /** A bucket younger than this cannot be deleted (15014). */
  BUCKET_MIN_AGE_SECONDS?: string;
}

export interface Settings {
  fileDomain: string;
  customHosts: Map<string, string>;
  defaultProjectId: string;
  defaultRegion: string;
  bucketMinAgeSeconds: number;
}

function intSetting(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
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

/** Parsed settings, computed once per env object (once per isolate in production). */
export function settings(env: Env): Settings {
  let s = cache.get(env);
  if (!s) {
    s = {
      fileDomain: (env.FILE_DOMAIN || "localhost").toLowerCase().replace(/^\./, ""),
      customHosts: parseHostMap(env.CUSTOM_HOSTS),
      defaultProjectId: env.DEFAULT_PROJECT_ID || "org-edgefile",
      defaultRegion: env.DEFAULT_REGION || "cn-bj",
      bucketMinAgeSeconds: intSetting(env.BUCKET_MIN_AGE_SECONDS, 20 * 60),
    };
    cache.set(env, s);
  }
  return s;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
