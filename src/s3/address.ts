import type { Settings } from "../config";
import { ApiError } from "../errors";
import type { S3Address } from "./context";

/**
 * The S3 address of a request (docs/s3.md "Addressing"): virtual-hosted when the host is
 * `<bucket>.<S3 host>` (or `<bucket>.<FILE_DOMAIN>` / a custom host, for requests the front
 * dispatch sent here because they carry SigV4 credentials), else path style `/<bucket>/<key>`.
 */
export function s3Address(url: URL, s: Settings): S3Address {
  const host = url.hostname.toLowerCase();
  const hostedBucket = virtualHostBucket(host, s);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new ApiError("InvalidArgument", "Couldn't parse the specified URI.");
  }
  if (hostedBucket !== null) return { style: "virtual", bucket: hostedBucket, key: path.slice(1) };
  const rest = path.slice(1);
  if (rest === "") return { style: "path", bucket: null, key: "" };
  const slash = rest.indexOf("/");
  return slash < 0 ? { style: "path", bucket: rest, key: "" } : { style: "path", bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** `<bucket>.<S3 host>`, `<bucket>.<FILE_DOMAIN>` or a custom host → the bucket; else null. */
export function virtualHostBucket(host: string, s: Settings): string | null {
  for (const domain of [s.s3Host, s.fileDomain]) {
    const suffix = "." + domain;
    if (host.endsWith(suffix) && host.length > suffix.length) return host.slice(0, -suffix.length);
  }
  return s.customHosts.get(host) ?? null;
}
