/**
 * Who is making a request, as every front sees it (UFile data plane, control plane, S3). A front
 * verifies its own signature scheme, asks `lookupKey` (credentials.ts) for the key pair behind a
 * public key, and then `authorize` (scope.ts) for the rights the operation needs.
 */
/**
 * What an operation needs. READ, WRITE, DELETE and LIST are the token's `TOKEN_ALLOW_*` rights;
 * UPDATE is changing an existing object in place (its storage class, ACL, tags or metadata): it
 * needs TOKEN_ALLOW_WRITE and is refused to a TOKEN_DENY_UPDATE token, which may only create.
 */
export type Right = "READ" | "WRITE" | "DELETE" | "LIST" | "UPDATE";

/**
 * What a token allows (docs/protocol.md §8). Fail closed: an empty list grants nothing, `*` grants
 * everything of its kind, and a token whose stored lists cannot be read is never turned into a scope
 * (credentials.ts refuses it).
 */
export interface TokenScope {
  tokenId: string;
  projectId: string;
  /** `TOKEN_ALLOW_*` values; `TOKEN_DENY_UPDATE` is read into `denyUpdate`. */
  allowedOps: readonly string[];
  allowedPrefixes: readonly string[];
  allowedBuckets: readonly string[];
  /** Client addresses or CIDR blocks (IPv4 or IPv6) that are refused / the only ones admitted. */
  blackIpList: readonly string[];
  whiteIpList: readonly string[];
  /** Unix seconds. */
  expireTime: number;
  /** TOKEN_DENY_UPDATE: writes may create keys but never replace an existing one. */
  denyUpdate: boolean;
}

export type Principal =
  | { kind: "anonymous" }
  | { kind: "root"; publicKey: string }
  | { kind: "token"; publicKey: string; scope: TokenScope };

/** A signing key and whose it is. */
export interface KeyPair {
  privateKey: string;
  principal: Exclude<Principal, { kind: "anonymous" }>;
}
