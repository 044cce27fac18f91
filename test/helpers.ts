import { exports } from "cloudflare:workers";
import { controlSignature } from "../src/control/signature";
import { Params, type ParamValue } from "../src/control/params";

/** The PROTOCOL.md test key pair, configured as the root keys in test/vitest.config.ts. */
export const PUBLIC_KEY = "ucloudsomeone@example.com1296235120854146120";
export const PRIVATE_KEY = "46f09bb9fab4f12dfc160dae12273d5332b5debe";

export const API = "http://api.localhost";

/** Fetch through the Worker's own fetch handler, as a client over HTTP would. */
export function call(input: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(input, init);
}

/** Signs control-plane parameters the way the UCloud API SDKs do. */
export async function signControl(
  params: Record<string, ParamValue>,
  keys: { publicKey: string; privateKey: string } = { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY },
): Promise<Record<string, ParamValue>> {
  const withKey = { ...params, PublicKey: keys.publicKey };
  const Signature = await controlSignature(new Params(new Map(Object.entries(withKey))), keys.privateKey);
  return { ...withKey, Signature };
}

const toQuery = (p: Record<string, ParamValue>) =>
  new URLSearchParams(Object.entries(p).map(([k, v]) => [k, String(v)])).toString();

/** A signed control-plane GET (Python BucketManager / Go / C style); returns the parsed envelope. */
export async function control(params: Record<string, ParamValue>, keys?: { publicKey: string; privateKey: string }) {
  const res = await call(`${API}/?${toQuery(await signControl(params, keys))}`);
  return { res, body: (await res.json()) as Record<string, any> };
}

export { toQuery };

let counter = 0;
/** A bucket name unique within the test run. */
export function uniqueName(prefix = "b"): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}
