// @ts-check
// What every command works with, built from the global options on first use (so --help and
// argument errors never read the config file or touch the network).
import { resolveSettings } from "./config.mjs";
import { Control } from "./control.mjs";
import { DataPlane } from "./data.mjs";
import { CliError, EXIT } from "./errors.mjs";

/**
 * @typedef {{ settings: import("./config.mjs").Settings, control: Control, data: DataPlane, concurrency: number, hit: boolean }} Context
 */

/** @param {{ profile?: string, url?: string, fileUrl?: string }} globals @returns {Context} */
export function makeContext(globals) {
  const settings = resolveSettings(globals);
  const control = new Control(settings);
  return { settings, control, data: new DataPlane(settings, control), concurrency: 4, hit: true };
}

/** "600", "90s", "10m", "2h", "7d", "1w" → seconds. @param {string} text */
export function parseDuration(text) {
  const m = /^(\d+)([smhdw]?)$/.exec(text.trim());
  if (!m) throw new CliError(`not a duration: ${text} (write 600, 10m, 2h, 7d or 1w)`, EXIT.usage);
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]] ?? 1;
  return Number(m[1]) * unit;
}

/** A positive integer option. @param {string} name @returns {(text: string) => number} */
export const positiveInt = (name) => (text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive integer, got ${text}`, EXIT.usage);
  return n;
};
