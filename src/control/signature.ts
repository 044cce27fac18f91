import type { Env } from "../config";
import { safeEqual, sha1, toHex } from "../crypto";
import { lookupKey } from "../auth/credentials";
import { ApiError } from "../errors";
import { byteOrder, encodeValue, type Params } from "./params";

/**
 * Control-plane signature (docs/protocol.md §3.2): every parameter but `Signature`, sorted by
 * name in byte order, concatenated as name+value, the private key appended, SHA1, lowercase hex.
 */
export async function controlSignature(params: Params, privateKey: string): Promise<string> {
  const names = [...params.raw.keys()].filter((k) => k !== "Signature").sort(byteOrder);
  let s = "";
  for (const k of names) s += k + encodeValue(params.raw.get(k)!);
  return toHex(await sha1(s + privateKey));
}

/**
 * Checks `PublicKey` + `Signature` and returns the public key; throws the gateway code that fits.
 * The key pair comes from the shared credentials module; a token key that signed correctly is refused
 * here, at the control plane's edge (15037): tokens only ever act on the data planes.
 */
export async function verifyControlSignature(params: Params, env: Env): Promise<string> {
  const signature = params.nonEmpty("Signature");
  if (!signature) throw new ApiError("MissingSignature");
  const publicKey = params.nonEmpty("PublicKey");
  if (!publicKey) throw new ApiError("MissingSignature", "PublicKey is missing");
  const found = await lookupKey(publicKey, env);
  if (!found) throw new ApiError("UserNotExist");
  if (!safeEqual(signature.toLowerCase(), await controlSignature(params, found.privateKey))) throw new ApiError("SignatureError");
  if (found.principal.kind !== "root") throw new ApiError("NoPermission", "token keys may not call control-plane actions");
  return publicKey;
}
