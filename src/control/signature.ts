import type { Env } from "../config";
import { safeEqual, sha1, toHex } from "../crypto";
import { ApiError } from "../errors";
import { byteOrder, encodeValue, type Params } from "./params";

/**
 * Control-plane signature (PROTOCOL.md §3.2): every parameter but `Signature`, sorted by
 * name in byte order, concatenated as name+value, the private key appended, SHA1, lowercase hex.
 */
export async function controlSignature(params: Params, privateKey: string): Promise<string> {
  const names = [...params.raw.keys()].filter((k) => k !== "Signature").sort(byteOrder);
  let s = "";
  for (const k of names) s += k + encodeValue(params.raw.get(k)!);
  return toHex(await sha1(s + privateKey));
}

/** A key that may sign control-plane calls, resolved from a public key. */
export interface ControlKeySource {
  privateKeyFor(publicKey: string, env: Env): Promise<string | undefined>;
}

/** The root key pair from the Worker secrets. */
export const rootKeys: ControlKeySource = {
  async privateKeyFor(publicKey, env) {
    if (!env.ROOT_PUBLIC_KEY || !env.ROOT_PRIVATE_KEY) {
      throw new ApiError("ServiceUnavailable", "ROOT_PUBLIC_KEY / ROOT_PRIVATE_KEY are not configured");
    }
    return safeEqual(publicKey, env.ROOT_PUBLIC_KEY) ? env.ROOT_PRIVATE_KEY : undefined;
  },
};

/** Checks `PublicKey` + `Signature`; throws the gateway code that fits. */
export async function verifyControlSignature(params: Params, env: Env, keys: ControlKeySource = rootKeys): Promise<string> {
  const signature = params.nonEmpty("Signature");
  if (!signature) throw new ApiError("MissingSignature");
  const publicKey = params.nonEmpty("PublicKey");
  if (!publicKey) throw new ApiError("MissingSignature", "PublicKey is missing");
  const privateKey = await keys.privateKeyFor(publicKey, env);
  if (privateKey === undefined) throw new ApiError("UserNotExist");
  const expected = await controlSignature(params, privateKey);
  if (!safeEqual(signature.toLowerCase(), expected)) throw new ApiError("SignatureError");
  return publicKey;
}
