// @ts-check
// Admin client: root-signed calls to the Worker's `/_admin/…` path routes (src/control/admin.ts).
import { controlSignature } from "../../src/signing.mjs";
import { requireKeys } from "./config.mjs";
import { CliError, EXIT, controlError } from "./errors.mjs";
import { readJson, request } from "./net.mjs";

/** How long a signed admin call stays valid (the server takes at most 15 minutes). */
const VALID_SECONDS = 300;

/**
 * Signs and sends one admin call: the parameters plus `Route` (`<METHOD> <path>`, not sent) signed
 * like a control-plane call, with `Expires` and a fresh `Nonce` (the Worker refuses a signature it
 * has served before). Returns the answer's JSON body; throws on RetCode ≠ 0.
 * @param {import("./config.mjs").Settings} settings
 * @param {"GET" | "POST"} method
 * @param {string} path e.g. /_admin/buckets/demo/ranges
 * @param {Record<string, string | number>} [params]
 */
export async function adminCall(settings, method, path, params = {}) {
  requireKeys(settings);
  /** @type {Record<string, string>} */
  const p = {};
  for (const [k, v] of Object.entries(params)) p[k] = String(v);
  p.Expires = String(Math.floor(Date.now() / 1000) + VALID_SECONDS);
  // The Worker serves each signed call once: a repeated call (a move's next batches) differs by its nonce.
  p.Nonce = crypto.randomUUID();
  p.PublicKey = settings.publicKey;
  p.Signature = await controlSignature([...Object.entries(p), ["Route", `${method} ${path}`]], settings.privateKey);
  const url = `${settings.url}${path}?${new URLSearchParams(p)}`;
  const res = await request({ method, url, body: method === "POST" ? "" : undefined });
  const body = await readJson(res.stream);
  if (!body || typeof body.RetCode !== "number") {
    throw new CliError(`${settings.url} did not answer like an edgefile admin route (HTTP ${res.status}); check EDGEFILE_URL`, EXIT.failed);
  }
  if (body.RetCode !== 0) throw controlError(body, `${method} ${path}`);
  return body;
}
