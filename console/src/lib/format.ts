/**
 * Display helpers. One policy: sizes in KB/MB/GB/TB counted in 1024s, as the UFile API counts its GB
 * (1024³ bytes), with one decimal ("20.0 MB"; bytes as whole numbers); counts as whole numbers.
 */
const UNITS = ["B", "KB", "MB", "GB", "TB"];
export const GB = 1024 ** 3;

/** The unit to show `n` bytes in: its divisor and name. */
export function byteUnit(n: number): { div: number; unit: string } {
  let u = 0;
  while (Math.abs(n) >= 1024 ** (u + 1) && u < UNITS.length - 1) u++;
  return { div: 1024 ** u, unit: UNITS[u]! };
}

export function bytes(n: number): string {
  const { div, unit } = byteUnit(n);
  return `${div === 1 ? Math.round(n) : (n / div).toFixed(1)} ${unit}`;
}

/** A count ("363", "99,999,637"); the API's ×10⁴ figures are multiplied out by the caller. */
export const count = (n: number, lang: string) => Math.round(n).toLocaleString(lang === "zh" ? "zh-CN" : "en-US");

/** A chart tick: at most one decimal (the axes step in 1, 2 and 5 times powers of ten, down to 0.1). */
export const tick = (v: number) => String(Math.round(v * 10) / 10);

/** A duration for "time left": "8 s", "3 min 20 s", "2 h 5 min". */
export function duration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A moment as "2026-12-06 18:53" in local time: one format for token expiry, typed or shown. */
export function stamp(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The seconds of a stamp() text, or null when it is not one (or not a real date). */
export function parseStamp(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi);
  if (date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23 || mi > 59) return null;
  return Math.floor(date.getTime() / 1000);
}

export const dateTime = (seconds: number, lang: string) =>
  seconds ? new Date(seconds * 1000).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—";

export const day = (seconds: number, lang: string) =>
  new Date(seconds * 1000).toLocaleDateString(lang === "zh" ? "zh-CN" : "en-GB", { month: "short", day: "numeric", timeZone: "UTC" });


/** The last path segment of a key or prefix (`a/b/c.txt` → `c.txt`, `a/b/` → `b/`). */
export function baseName(keyOrPrefix: string): string {
  const trimmed = keyOrPrefix.endsWith("/") ? keyOrPrefix.slice(0, -1) : keyOrPrefix;
  const name = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  return keyOrPrefix.endsWith("/") ? name + "/" : name;
}

/** A file's type as a file manager names it: its extension ("PNG"), else its MIME subtype ("octet-stream"). */
export function fileType(mime: string, key: string): string {
  const name = baseName(key);
  const dot = name.lastIndexOf(".");
  if (dot > 0 && dot < name.length - 1 && name.length - dot <= 9) return name.slice(dot + 1).toUpperCase();
  return mime.slice(mime.indexOf("/") + 1) || "—";
}

export type PreviewKind = "image" | "text" | "audio" | "video" | null;

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-sh|yaml|toml|x-yaml))/;
const TEXT_EXT = /\.(txt|md|csv|tsv|json|xml|ya?ml|toml|ini|log|js|ts|py|go|rs|c|h|java|sh|html|css)$/i;

export function previewKind(mime: string, key: string): PreviewKind {
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("audio/")) return "audio";
  if (mime.startsWith("video/")) return "video";
  if (TEXT_TYPES.test(mime) || TEXT_EXT.test(key)) return "text";
  return null;
}
