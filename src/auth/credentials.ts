/**
 * The one credentials module of every front (UFile data plane, control plane, S3): a public key
 * (an S3 access key id is the same string) → its private key and the principal it stands for.
 *
 *   lookupKey(publicKey, env): Promise<KeyPair | null>
 *
 * Key sources are consulted in order: the root pair (Worker secrets), then tokens (`TOKEN_<id>`, read
 * from D1 on every call and never cached, so a deleted or narrowed token stops working at once).
 * Null for an unknown key: a front answers that exactly like a wrong signature. A front decides what a
 * principal may do with `authorize` (scope.ts); the control plane refuses token principals outright.
 *
 * Fails closed: without root keys nothing signed is accepted (NotConfigured), and a token whose stored
 * lists cannot be read gets a scope that grants nothing.
 */
import type { Env } from "../config";
import { safeEqual } from "../crypto";
import { ApiError } from "../errors";
import { database } from "../store/db";
import { openPrivateKey, TOKEN_KEY_PREFIX, tokenById, type Token } from "../store/tokens";
import type { KeyPair, TokenScope } from "./principal";

export interface KeySource {
  lookup(publicKey: string, env: Env): Promise<KeyPair | null>;
}

/** The root pair from the Worker secrets. Without them, signed requests are refused (docs/design.md §6). */
export const rootKeySource: KeySource = {
  async lookup(publicKey, env) {
    if (!env.ROOT_PUBLIC_KEY || !env.ROOT_PRIVATE_KEY) throw new ApiError("NotConfigured");
    if (!safeEqual(publicKey, env.ROOT_PUBLIC_KEY)) return null;
    return { privateKey: env.ROOT_PRIVATE_KEY, principal: { kind: "root", publicKey: env.ROOT_PUBLIC_KEY } };
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A token's scope; a row whose lists did not parse grants nothing (every list empty). */
export function scopeOf(token: Token): TokenScope {
  const readable = !token.damaged;
  const list = (values: string[]) => (readable ? values : []);
  return {
    tokenId: token.id,
    projectId: token.projectId,
    allowedOps: list(token.allowedOps),
    allowedPrefixes: list(token.allowedPrefixes),
    allowedBuckets: list(token.allowedBuckets),
    blackIpList: list(token.blackIpList),
    whiteIpList: list(token.whiteIpList),
    expireTime: token.expireTime,
    denyUpdate: !readable || token.allowedOps.includes("TOKEN_DENY_UPDATE"),
  };
}

/** Token keys (docs/protocol.md §8): `TOKEN_<TokenId>` → the token's private key and scope. */
export const tokenKeySource: KeySource = {
  async lookup(publicKey, env) {
    if (!publicKey.startsWith(TOKEN_KEY_PREFIX)) return null;
    const id = publicKey.slice(TOKEN_KEY_PREFIX.length);
    if (!UUID.test(id)) return null; // not one of ours: spare the query
    const token = await tokenById(database(env.DB), id);
    if (!token) return null;
    if (token.damaged) console.error(`token ${token.id}: stored scope lists do not parse; the token grants nothing`);
    return {
      privateKey: await openPrivateKey(env, token),
      principal: { kind: "token", publicKey, scope: scopeOf(token) },
    };
  },
};

const KEY_SOURCES: readonly KeySource[] = [rootKeySource, tokenKeySource];

/** The key pair behind `publicKey`, or null when no source knows it. */
export async function lookupKey(publicKey: string, env: Env, sources: readonly KeySource[] = KEY_SOURCES): Promise<KeyPair | null> {
  for (const source of sources) {
    const found = await source.lookup(publicKey, env);
    if (found) return found;
  }
  return null;
}
