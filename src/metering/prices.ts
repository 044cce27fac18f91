import { inArray } from "drizzle-orm";
import { prices } from "../../schema/schema";
import type { Database } from "../store/db";
import type { Amounts } from "./quotas";

/**
 * Quota prices (docs/metering.md "Prices"): `prices` holds 分 per GB·day, per GB and per 万次, one row per
 * region plus the default row `*` (seeded by migration 0002). Rates are applied in integer
 * micro-分 (6 decimals), because binary floats are not exact: 200 × 0.6 is 120.00000000000001 in
 * JavaScript, which a ceiling would turn into 121. The sum is rounded up to a whole 分.
 */
const MICRO = 1_000_000n;
const micro = (rate: number): bigint => BigInt(Math.round(rate * 1_000_000));

/** Price in whole 分 of buying `amounts` in `region`, or null when no price row applies. */
export async function quotePrice(db: Database, region: string, amounts: Amounts): Promise<number | null> {
  const rows = await db.select().from(prices).where(inArray(prices.region, [region, "*"])).all();
  const row = rows.find((r) => r.region === region) ?? rows.find((r) => r.region === "*");
  if (!row) return null;
  const total =
    BigInt(amounts.storage) * micro(row.storageFenPerGbDay) +
    BigInt(amounts.traffic) * micro(row.trafficFenPerGb) +
    BigInt(amounts.requests) * micro(row.requestsFenPer10k);
  return Number(total / MICRO + (total % MICRO > 0n ? 1n : 0n));
}
