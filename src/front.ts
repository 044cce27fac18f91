import { settings, type Env } from "./config";
import { bucketFromHost } from "./data/host";
import { sigV4Form } from "./s3/sigv4";

/**
 * UFile data plane or S3 API, for a request without `Action` (docs/s3.md "Addressing"):
 *
 * - the console's `/ui` path on a non-bucket host → the data plane (which leaves it to the console);
 * - `<bucket>.<FILE_DOMAIN>` or a custom host → UFile, unless the request carries SigV4
 *   credentials (then it is S3 virtual-hosted style: no UFile client signs with AWS4-HMAC-SHA256);
 * - the S3 host itself or `<bucket>.<S3 host>` (when the S3 host differs from FILE_DOMAIN) → S3;
 * - any other host (`localhost:8787`, an IP address, the API host) → S3 path style, so that
 *   `--endpoint-url http://localhost:8787` works with no DNS set-up, signed or anonymous.
 */
export type Front = "s3" | "ufile";

export function front(request: Request, url: URL, env: Env): Front {
  const s = settings(env);
  const host = url.hostname.toLowerCase();
  if (host === s.s3Host || (s.s3Host !== s.fileDomain && host.endsWith("." + s.s3Host))) return "s3";
  if (bucketFromHost(url, s) !== null) return sigV4Form(request, url) !== null ? "s3" : "ufile";
  if (url.pathname === "/ui" || url.pathname.startsWith("/ui/")) return "ufile";
  return "s3";
}
