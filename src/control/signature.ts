import type { Env } from "../config";
import { safeEqual, sha1, toHex } from "../crypto";
import { tokenKeySource } from "../data/token-keys";
import { ApiError, type ErrorName } from "../errors";
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
  /** Set for keys that authenticate but may not call the control plane: the error they get. */
  readonly refusal?: ErrorName;
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

/** Token keys (PROTOCOL.md §3.4): a valid token signature is answered 15037, never served. */
export const tokenKeys: ControlKeySource = {
  refusal: "NoPermission",
  async privateKeyFor(publicKey, env) {
    return (await tokenKeySource.lookup(publicKey, env))?.privateKey;
  },
};

export const CONTROL_KEY_SOURCES: readonly ControlKeySource[] = [rootKeys, tokenKeys];

/** Checks `PublicKey` + `Signature`; throws the gateway code that fits. */
export async function verifyControlSignature(
  params: Params,
  env: Env,
  sources: readonly ControlKeySource[] = CONTROL_KEY_SOURCES,
): Promise<string> {
  const signature = params.nonEmpty("Signature");
  if (!signature) throw new ApiError("MissingSignature");
  const publicKey = params.nonEmpty("PublicKey");
  if (!publicKey) throw new ApiError("MissingSignature", "PublicKey is missing");
  for (const source of sources) {
    const privateKey = await source.privateKeyFor(publicKey, env);
    if (privateKey === undefined) continue;
    const expected = await controlSignature(params, privateKey);
    if (!safeEqual(signature.toLowerCase(), expected)) throw new ApiError("SignatureError");
    if (source.refusal) throw new ApiError(source.refusal, "this key may not call control-plane actions");
    return publicKey;
  }
  throw new ApiError("UserNotExist");
}
