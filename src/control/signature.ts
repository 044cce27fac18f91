import type { Env } from "../config";
import { sha1HexMatches } from "../auth/sha1";
import { controlSigningText } from "../signing.mjs";
import { lookupKey } from "../auth/credentials";
import { ApiError } from "../errors";
import { encodeValue, type Params } from "./params";

/**
 * Control-plane signature (docs/protocol.md §3.2, src/signing.mjs): every parameter but `Signature`,
 * sorted by name in byte order, concatenated as name+value (each value as sent on the wire:
 * `encodeValue`), the private key appended, SHA1, lowercase hex.
 *
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
  if (!sha1HexMatches(controlSigningText(params.raw, found.privateKey, encodeValue), signature.toLowerCase())) throw new ApiError("SignatureError");
  if (found.principal.kind !== "root") throw new ApiError("NoPermission", "token keys may not call control-plane actions");
  return publicKey;
}
