import { database } from "../store/db";
import { openPrivateKey, TOKEN_KEY_PREFIX, tokenById } from "../store/tokens";
import type { KeySource } from "./principal";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Token keys (PROTOCOL.md §8): `TOKEN_<TokenId>` → the token's private key and scope.
 * Read from D1 on every call, never cached, so a deleted token is refused at once.
 * Expiry is not checked here: the caller answers an expired token with its own code.
 */
export const tokenKeySource: KeySource = {
  async lookup(publicKey, env) {
    if (!publicKey.startsWith(TOKEN_KEY_PREFIX)) return null;
    const id = publicKey.slice(TOKEN_KEY_PREFIX.length);
    if (!UUID.test(id)) return null; // not one of ours: spare the query
    const token = await tokenById(database(env.DB), id);
    if (!token) return null;
    return {
      privateKey: await openPrivateKey(env, token),
      principal: {
        kind: "token",
        publicKey,
        scope: {
          tokenId: token.id,
          projectId: token.projectId,
          allowedOps: token.allowedOps,
          allowedPrefixes: token.allowedPrefixes,
          allowedBuckets: token.allowedBuckets,
          expireTime: token.expireTime,
        },
      },
    };
  },
};
