/** Display helpers. Sizes in binary units (the API's GB is 1024³ bytes). */
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function bytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]}`;
}

export const dateTime = (seconds: number, lang: string) =>
  seconds ? new Date(seconds * 1000).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—";

export const day = (seconds: number, lang: string) =>
  new Date(seconds * 1000).toLocaleDateString(lang === "zh" ? "zh-CN" : "en-GB", { month: "short", day: "numeric", timeZone: "UTC" });

/** Integers as they are; tiny usage figures (a few KiB as GB) in 3 significant digits, never "0.0000". */
export function number(n: number, digits = 2): string {
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) < 10 ** -digits) return n.toPrecision(3);
  return n.toFixed(digits);
}

/** The last path segment of a key or prefix (`a/b/c.txt` → `c.txt`, `a/b/` → `b/`). */
export function baseName(keyOrPrefix: string): string {
  const trimmed = keyOrPrefix.endsWith("/") ? keyOrPrefix.slice(0, -1) : keyOrPrefix;
  const name = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  return keyOrPrefix.endsWith("/") ? name + "/" : name;
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
