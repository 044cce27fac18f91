import type { Settings } from "../config";

/**
 * The bucket a data-plane request addresses (docs/protocol.md §1.2): the Host minus
 * `.<FILE_DOMAIN>` (bucket names may contain dots), else a configured custom domain.
 * Returns null when the host names no bucket.
 */
export function bucketFromHost(url: URL, s: Settings): string | null {
  const host = url.hostname.toLowerCase();
  const suffix = "." + s.fileDomain;
  if (host.endsWith(suffix) && host.length > suffix.length) return host.slice(0, -suffix.length);
  return s.customHosts.get(host) ?? null;
}
