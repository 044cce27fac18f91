import type { Env } from "../config";

/**
 * Who is making a data-plane request, and what they may do. The signature check
 * (src/data/auth.ts) turns credentials into a Principal through the key sources below;
 * every operation then asks `authorize` (src/data/scope.ts) for the rights it needs.
 */
export type Right = "READ" | "WRITE" | "DELETE" | "LIST";

/** What a token allows (PROTOCOL.md §8). Empty or `*` lists allow everything of that kind. */
export interface TokenScope {
  tokenId: string;
  projectId: string;
  allowedOps: string[];
  allowedPrefixes: string[];
  allowedBuckets: string[];
  /** Unix seconds. */
  expireTime: number;
}

export type Principal =
  | { kind: "anonymous" }
  | { kind: "root"; publicKey: string }
  | { kind: "token"; publicKey: string; scope: TokenScope };

/** A source of signing keys: the root pair, and tokens. Returns null for an unknown key. */
export interface KeySource {
  lookup(publicKey: string, env: Env): Promise<{ privateKey: string; principal: Principal } | null>;
}
