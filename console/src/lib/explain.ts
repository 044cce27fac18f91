import { ApiFailure } from "./api";
import type { TFunction } from "./i18n";

/**
 * API refusals in plain words, with what to do (docs/console.md). The API's own code and
 * message are shown beside the explanation, so nothing is hidden.
 */
const EXPLAINED: Record<number, string> = {
  15000: "err.15000",
  15001: "err.15001",
  15010: "err.15010",
  15011: "err.15011",
  15014: "err.15014",
  15023: "err.15023",
  15037: "err.15037",
  15038: "err.15038",
  15040: "err.15040",
  171: "err.171",
  172: "err.172",
  [-148658]: "err.badsig",
  [-148660]: "err.expired",
  [-148643]: "err.noauth",
  [-148671]: "err.notrestored",
  [-148654]: "err.nofile",
  [-30010]: "err.nobucket",
  [-90008]: "err.scope",
  [-90009]: "err.exists",
};

export function explain(t: TFunction, e: unknown): string {
  if (e instanceof ApiFailure) {
    const key = EXPLAINED[e.code];
    const detail = `(${e.code}${e.message ? ": " + e.message : ""})`;
    return key ? `${t(key)} ${detail}` : `${t("err.generic")} ${detail}`;
  }
  return `${t("err.generic")} (${e instanceof Error ? e.message : String(e)})`;
}

export const isScopeRefusal = (e: unknown) => e instanceof ApiFailure && (e.code === -90008 || e.code === 15037);
