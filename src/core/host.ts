import type { Settings } from "../config";

/**
 * What a request's host says, read once at the entry (src/index.ts) and handed to every front: the
 * runtime makes a new string for each read of `url.hostname`, and every front asks.
 */

/** The request's host, lowercased (`url.hostname` without a port). */
export const requestHost = (url: URL): string => url.hostname.toLowerCase();

/** Whether `host` is `<something>.<domain>` (both lowercased), without building `.<domain>`. */
export const isSubdomainOf = (host: string, domain: string): boolean =>
  host.length > domain.length + 1 && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 46; // "."

/**
 * The bucket a data-plane request addresses (docs/protocol.md §1.2): the host (lowercased) minus
 * `.<FILE_DOMAIN>` (bucket names may contain dots), else a configured custom domain.
 * Returns null when the host names no bucket.
 */
export function bucketFromHost(host: string, s: Settings): string | null {
  if (isSubdomainOf(host, s.fileDomain)) return host.slice(0, host.length - s.fileDomain.length - 1);
  return s.customHosts.get(host) ?? null;
}
