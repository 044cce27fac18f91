import { and, asc, count, eq, getTableColumns, sql } from "drizzle-orm";
import type { Env } from "../config";
import { fromBase64, toBase64, utf8 } from "../crypto";
import { ApiError } from "../errors";
import { projects, tokens } from "../../schema/schema";
import type { Database } from "./db";

/**
 * The token index (docs/protocol.md §8). Never cached: a deleted or narrowed token must stop
 * working at once. Private keys are stored sealed, base64(iv || AES-GCM ciphertext), under a
 * key derived from a Worker secret; only `createToken` and `openPrivateKey` see them in clear.
 */
export const TOKEN_KEY_PREFIX = "TOKEN_";
export const tokenPublicKey = (id: string): string => TOKEN_KEY_PREFIX + id;

/** What a caller may set on a token. */
export interface TokenFields {
  name: string;
  allowedOps: string[];
  allowedPrefixes: string[];
  allowedBuckets: string[];
  blackIpList: string[];
  whiteIpList: string[];
  /** Unix seconds. */
  expireTime: number;
}

export interface Token extends TokenFields {
  id: string;
  /** A stored list did not parse (a damaged row): authentication turns the token into one that grants nothing. */
  damaged: boolean;
  projectId: string;
  region: string;
  createdAt: number;
  modifiedAt: number;
  /** Sealed private key; read it with `openPrivateKey`. */
  privateKeyEnc: string;
}

type TokenRow = typeof tokens.$inferSelect;

/** A stored JSON list of strings, or null when the stored text is anything else (fail closed). */
function parseList(stored: string): string[] | null {
  try {
    const v: unknown = JSON.parse(stored);
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : null;
  } catch {
    return null;
  }
}

function fromRow(r: TokenRow): Token {
  const lists = [r.allowedOps, r.allowedPrefixes, r.allowedBuckets, r.blackIpList, r.whiteIpList].map(parseList);
  const [allowedOps, allowedPrefixes, allowedBuckets, blackIpList, whiteIpList] = lists.map((l) => l ?? []);
  return {
    id: r.id,
    projectId: r.projectId,
    region: r.region,
    name: r.name,
    allowedOps,
    allowedPrefixes,
    allowedBuckets,
    blackIpList,
    whiteIpList,
    damaged: lists.some((l) => l === null),
    expireTime: r.expireTime,
    createdAt: r.createdAt,
    modifiedAt: r.modifiedAt,
    privateKeyEnc: r.privateKeyEnc,
  };
}

// ───────────────────────── private-key encryption ─────────────────────────

type SecretEnv = Pick<Env, "TOKEN_SECRET" | "ROOT_PRIVATE_KEY">;

// Fixed HKDF salt and info: they separate this key from any other use of the same secret.
const HKDF_SALT = utf8("edgefile/token-private-key");
const HKDF_INFO = utf8("AES-256-GCM v1");
const IV_BYTES = 12;
const TAG_BYTES = 16;

let derived: { secret: string; key: Promise<CryptoKey> } | undefined;

/**
 * The AES-GCM key. TOKEN_SECRET when set; otherwise ROOT_PRIVATE_KEY, so that a fresh local
 * clone works without one more secret (production sets TOKEN_SECRET: see src/config.ts).
 */
function sealingKey(env: SecretEnv): Promise<CryptoKey> {
  const secret = env.TOKEN_SECRET || env.ROOT_PRIVATE_KEY;
  if (!secret) throw new ApiError("NotConfigured", "TOKEN_SECRET or ROOT_PRIVATE_KEY is needed for tokens");
  if (derived?.secret !== secret) {
    const key = crypto.subtle
      .importKey("raw", utf8(secret), "HKDF", false, ["deriveKey"])
      .then((ikm) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: HKDF_INFO },
          ikm,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    derived = { secret, key };
  }
  return derived.key;
}

/** Seals a private key. The token id is the associated data: a sealed key only opens on its own row. */
async function sealPrivateKey(env: SecretEnv, tokenId: string, privateKey: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8(tokenId) },
    await sealingKey(env),
    utf8(privateKey),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return toBase64(out);
}

/** The private key in clear. Fails loudly (an internal error) when the secret has changed. */
export async function openPrivateKey(env: SecretEnv, token: Pick<Token, "id" | "privateKeyEnc">): Promise<string> {
  const bytes = fromBase64(token.privateKeyEnc);
  const key = await sealingKey(env);
  if (bytes && bytes.byteLength >= IV_BYTES + TAG_BYTES) {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: utf8(token.id) },
        key,
        bytes.subarray(IV_BYTES),
      );
      return new TextDecoder().decode(plain);
    } catch {
      // Falls through to the error below.
    }
  }
  throw new Error(`token ${token.id}: the private key cannot be decrypted (was TOKEN_SECRET changed?)`);
}

// ───────────────────────── queries ─────────────────────────

/**
 * Creates a token with a fresh id and private key (UUIDv4 both), or returns null when the
 * project already holds `limit` tokens. The count and the insert are one statement
 * (`INSERT … SELECT … WHERE (SELECT COUNT(*) …) < limit`), so concurrent creates never
 * overshoot the limit.
 */
export async function createToken(
  db: Database,
  env: SecretEnv,
  input: TokenFields & { projectId: string; region: string; now: number },
  limit: number,
): Promise<{ token: Token; privateKey: string } | null> {
  const id = crypto.randomUUID();
  const privateKey = crypto.randomUUID();
  const row = {
    id,
    projectId: input.projectId,
    region: input.region,
    name: input.name,
    privateKeyEnc: await sealPrivateKey(env, id, privateKey),
    allowedOps: JSON.stringify(input.allowedOps),
    allowedPrefixes: JSON.stringify(input.allowedPrefixes),
    allowedBuckets: JSON.stringify(input.allowedBuckets),
    blackIpList: JSON.stringify(input.blackIpList),
    whiteIpList: JSON.stringify(input.whiteIpList),
    expireTime: input.expireTime,
    createdAt: input.now,
    modifiedAt: input.now,
  } satisfies TokenRow; // every column: a column added to the schema must be set here too

  // Drizzle's INSERT … SELECT names every column in table order; select the values in that order.
  const values = sql.join(
    Object.keys(getTableColumns(tokens)).map((k) => sql`${row[k as keyof TokenRow]}`),
    sql`, `,
  );
  const underLimit = sql`(SELECT COUNT(*) FROM ${tokens} WHERE ${tokens.projectId} = ${input.projectId}) < ${limit}`;
  const [, inserted] = await db.batch([
    db.insert(projects).values({ id: input.projectId, createdAt: input.now }).onConflictDoNothing(),
    db.insert(tokens).select(sql`SELECT ${values} WHERE ${underLimit}`).returning({ id: tokens.id }),
  ]);
  return inserted.length > 0 ? { token: fromRow(row), privateKey } : null;
}

/** A token by id in any project (data-plane authentication). */
export async function tokenById(db: Database, id: string): Promise<Token | null> {
  const row = await db.select().from(tokens).where(eq(tokens.id, id)).get();
  return row ? fromRow(row) : null;
}

/** A token by id inside one project; a token of another project is not found. */
export async function tokenInProject(db: Database, projectId: string, id: string): Promise<Token | null> {
  const row = await db
    .select()
    .from(tokens)
    .where(and(eq(tokens.id, id), eq(tokens.projectId, projectId)))
    .get();
  return row ? fromRow(row) : null;
}

/**
 * A project's tokens in creation order (rowid breaks ties within a second: a new row's rowid is
 * above every existing one), optionally only those named `name`.
 */
export async function listTokens(db: Database, projectId: string, name?: string): Promise<Token[]> {
  const rows = await db
    .select()
    .from(tokens)
    .where(and(eq(tokens.projectId, projectId), name === undefined ? undefined : eq(tokens.name, name)))
    .orderBy(asc(tokens.createdAt), asc(sql`rowid`))
    .all();
  return rows.map(fromRow);
}

export async function countTokens(db: Database, projectId: string): Promise<number> {
  const row = await db.select({ n: count() }).from(tokens).where(eq(tokens.projectId, projectId)).get();
  return row?.n ?? 0;
}

/**
 * Sets the given fields (a list that is given replaces the stored one) and ModifyTime, in one
 * statement. Returns false when the project has no such token.
 */
export async function updateToken(
  db: Database,
  projectId: string,
  id: string,
  changes: Partial<TokenFields>,
  now: number,
): Promise<boolean> {
  const list = (v: string[] | undefined) => (v === undefined ? undefined : JSON.stringify(v));
  const updated = await db
    .update(tokens)
    .set({
      name: changes.name,
      allowedOps: list(changes.allowedOps),
      allowedPrefixes: list(changes.allowedPrefixes),
      allowedBuckets: list(changes.allowedBuckets),
      blackIpList: list(changes.blackIpList),
      whiteIpList: list(changes.whiteIpList),
      expireTime: changes.expireTime,
      modifiedAt: now,
    })
    .where(and(eq(tokens.id, id), eq(tokens.projectId, projectId)))
    .returning({ id: tokens.id });
  return updated.length > 0;
}

/** Deletes a token; false when the project has no such token. */
export async function deleteToken(db: Database, projectId: string, id: string): Promise<boolean> {
  const deleted = await db
    .delete(tokens)
    .where(and(eq(tokens.id, id), eq(tokens.projectId, projectId)))
    .returning({ id: tokens.id });
  return deleted.length > 0;
}
