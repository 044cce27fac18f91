/**
 * Helpers of the bucket-rule wire tests (issue 22): the control-plane calls exactly as
 * ucloud-sdk-python3 makes them, and the cron at a chosen time.
 */
import { request, signControl, toQuery, type ControlValue, type WireResponse } from "./client";

/**
 * A call as ucloud-sdk-python3 sends it (ucloud/core/client/_client.py `_build_http_request`): POST
 * form-urlencoded to the API host, Region and ProjectId from the config, the request dict flattened
 * by `encoder.encode` (a list `Referers: [a, b]` becomes `Referers.0`, `Referers.1`; a bool becomes
 * `true`/`false`), then PublicKey and the SHA1 Signature over the sorted pairs.
 */
export async function pythonSdk(action: string, args: Record<string, ControlValue | ControlValue[]>, region = "cn-bj") {
  const flat: Record<string, ControlValue> = { Action: action, Region: region };
  for (const [k, v] of Object.entries(args)) {
    if (Array.isArray(v)) v.forEach((item, i) => (flat[`${k}.${i}`] = encode(item)));
    else flat[k] = encode(v);
  }
  const res = await request({
    method: "POST",
    path: "/",
    host: "api.localhost",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Python/3.12.0 Python-SDK/0.11.80" },
    body: toQuery(signControl(flat)),
  });
  return res.json();
}

/** encoder.encode_value: bools in lower case, whole floats as integers. */
const encode = (v: ControlValue): ControlValue => (typeof v === "boolean" ? (v ? "true" : "false") : v);

/** Runs the Worker's cron handler as if the event were scheduled at `atMs` (miniflare's scheduled route). */
export async function cronAt(atMs: number): Promise<WireResponse> {
  const res = await request({ path: `/cdn-cgi/local/scheduled?cron=${encodeURIComponent("*/10 * * * *")}&time=${atMs}` });
  if (res.status !== 200) throw new Error(`scheduled run failed: ${res.status} ${res.text()}`);
  return res;
}

export const DAY_MS = 86_400_000;
