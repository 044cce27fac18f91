import { lt } from "drizzle-orm";
import type { Env } from "../config";
import { adminSignatures } from "../../schema/schema";
import { database, type Database } from "./db";

/**
 * Signatures of admin calls already served (src/control/admin.ts), in the control database: each
 * signed admin call is served once, so one captured on the way cannot be sent again before its
 * `Expires`. A signature is kept until that moment (after it the call is refused as expired
 * anyway); housekeeping removes the older ones.
 */

/**
 * Records the signature of an admin call about to be served; false when it was already recorded
 * (the call is a replay). One statement: of two concurrent copies of one call, only one records it.
 */
export async function claimAdminSignature(db: Database, signature: string, expiresAt: number): Promise<boolean> {
  const row = await db.insert(adminSignatures).values({ signature, expiresAt }).onConflictDoNothing().returning({ signature: adminSignatures.signature }).get();
  return row !== undefined;
}

/** Housekeeping: forgets the signatures of calls expired before `now` (unix seconds). */
export async function pruneAdminSignatures(env: Env, now: number): Promise<void> {
  await database(env.DB).delete(adminSignatures).where(lt(adminSignatures.expiresAt, now)).run();
}
