import { describe, expect, it } from "vitest";
import { httpDate, isoTimeMs } from "../src/dates";

/** Instants around the edges the arithmetic must get right, in ms since the epoch. */
const EDGES = [
  0, -1, 999, 1000, 86_399_999, 86_400_000, -86_400_000, // the epoch and its neighbouring days
  951_782_400_000, 951_868_800_000, // 2000-02-29 (a leap day of a century year) and 2000-03-01
  4_107_542_400_000, 4_107_628_800_000, // 2100-02-28 and 2100-03-01 (2100 is not a leap year)
  1_796_584_505_123, // a time the bench writes
  -62_167_219_200_000, // 0000-01-01T00:00:00.000Z, the first the arithmetic writes
  253_402_300_799_999, // 9999-12-31T23:59:59.999Z, the last
];

describe("date texts", () => {
  it("equal the runtime's toUTCString and toISOString at the edges and at random instants", () => {
    const random = Array.from({ length: 20_000 }, () => Math.floor((Math.random() * 2 - 1) * 200_000_000_000_000));
    for (const ms of [...EDGES, ...random]) {
      expect(isoTimeMs(ms), `ms ${ms}`).toBe(new Date(ms).toISOString());
      const seconds = Math.floor(ms / 1000);
      expect(httpDate(seconds), `seconds ${seconds}`).toBe(new Date(seconds * 1000).toUTCString());
    }
  });

  it("hand years outside 0000–9999 and fractional times to the runtime", () => {
    for (const ms of [-62_167_219_200_001, 253_402_300_800_000, 8.64e15, 1.5]) {
      expect(isoTimeMs(ms)).toBe(new Date(ms).toISOString());
    }
    expect(httpDate(300_000_000_000)).toBe(new Date(300_000_000_000_000).toUTCString());
    expect(httpDate(1.5)).toBe(new Date(1500).toUTCString());
  });
});
