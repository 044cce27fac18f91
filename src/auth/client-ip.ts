/**
 * The client's address, for token IP lists. Deployed, Cloudflare sets `CF-Connecting-IP` on every
 * request (a client cannot choose it). Under `wrangler dev`, miniflare sets it to the TCP peer unless
 * the client sent the header itself, so locally it is only as trustworthy as the local network.
 * Null when unknown (a test calling the Worker's fetch directly): IP lists then fail closed.
 */
export function clientIp(request: Request): string | null {
  const ip = request.headers.get("CF-Connecting-IP");
  return ip && ip.trim() !== "" ? ip.trim() : null;
}
