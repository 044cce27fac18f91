import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runHousekeeping, TASKS } from "../src/housekeeping";
import { claimAdminSignature } from "../src/store/admin-signatures";
import { database } from "../src/store/db";

/**
 * Admin calls are served once (src/control/admin.ts, store/admin-signatures.ts; the replay over
 * HTTP is in test/wire/admin-split.test.ts): a signature is recorded once, and housekeeping
 * forgets it only after the call's own expiry, when the call is refused as expired anyway.
 */
describe("used admin signatures", () => {
  it("are recorded once, and pruned by housekeeping only once expired", async () => {
    const db = database(env.DB);
    const at = Math.floor(Date.now() / 1000);
    const [early, late] = [`sig-early-${crypto.randomUUID()}`, `sig-late-${crypto.randomUUID()}`];
    expect(await claimAdminSignature(db, early, at + 60)).toBe(true);
    expect(await claimAdminSignature(db, early, at + 60)).toBe(false);
    expect(await claimAdminSignature(db, late, at + 600)).toBe(true);

    await runHousekeeping(env, at + 300, TASKS.filter((t) => t.name === "prune-admin-signatures"));
    const left = await env.DB.prepare("SELECT signature FROM admin_signatures WHERE signature IN (?, ?)").bind(early, late).all<{ signature: string }>();
    expect(left.results.map((r) => r.signature)).toEqual([late]);
    expect(await claimAdminSignature(db, late, at + 600)).toBe(false);
  });
});
