// @ts-check
// What the CLI prints: human text on stdout, or one JSON document with --json; progress bars on
// stderr only when it is a terminal (never with --json, --quiet or --debug).
import cliProgress from "cli-progress";

export const output = { json: false, quiet: false, progress: true };

/** Prints a line of human output (nothing with --json). @param {string} line */
export function say(line) {
  if (!output.json) process.stdout.write(line + "\n");
}

/** Prints one line per item done (e.g. "upload: a.txt -> ufile://demo/a.txt"): stdout, not with --quiet or --json. @param {string} line */
export function tell(line) {
  if (!output.json && !output.quiet) process.stdout.write(line + "\n");
}

/** Prints a status note on stderr (nothing with --quiet or --json). @param {string} line */
export function note(line) {
  if (!output.quiet && !output.json) process.stderr.write(line + "\n");
}

/** With --json, prints the value as the command's one JSON document. @param {unknown} value */
export function emitJson(value) {
  if (output.json) process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** 1536 → "1.5 KiB", 61.4 → "61 B" (a rate may be a fraction). @param {number} bytes */
export function humanSize(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Unix seconds → "2026-12-01 22:05" (UTC). @param {number} seconds */
export const shortTime = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");

/**
 * Left-aligned columns; `right` lists the columns to align right.
 * @param {string[][]} rows @param {number[]} [right]
 */
export function table(rows, right = []) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}

/** A byte progress bar (bytes, rate, ETA) over a whole command; a no-op when not on a terminal. */
export class Progress {
  /** @param {number} total bytes @param {string} label */
  constructor(total, label) {
    this.done = 0;
    this.started = Date.now();
    this.enabled = Boolean(process.stderr.isTTY) && output.progress && !output.json && !output.quiet && total > 0;
    this.bar = this.enabled
      ? new cliProgress.SingleBar(
          {
            format: "{bar} {percentage}% | {doneHuman} / {totalHuman} | {rate} | ETA {eta_formatted} | {label}",
            hideCursor: true,
            etaBuffer: 50,
            fps: 8,
            clearOnComplete: false,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(total, 0, this.payload(label, total));
    this.total = total;
    this.label = label;
  }

  /** @param {string} label @param {number} total */
  payload(label, total) {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    return { label, doneHuman: humanSize(this.done), totalHuman: humanSize(total), rate: `${humanSize(this.done / seconds)}/s` };
  }

  /** @param {number} bytes @param {string} [label] */
  add(bytes, label) {
    this.done += bytes;
    if (label) this.label = label;
    this.bar?.update(this.done, this.payload(this.label, this.total));
  }

  stop() {
    this.bar?.update(this.done, this.payload(this.label, this.total));
    this.bar?.stop();
  }
}
