import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { en } from "./i18n-en";
import { zh } from "./i18n-zh";

/** English and Chinese, switchable at any time; the choice is kept in localStorage. */
export type Lang = "en" | "zh";
export type Messages = Record<keyof typeof en, string>;
export type TFunction = (key: string, vars?: Record<string, string | number>) => string;

const DICTIONARIES: Record<Lang, Messages> = { en, zh };
const LANG_KEY = "edgefile.console.lang";

export function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function rememberLang(lang: Lang): void {
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function translator(lang: Lang): TFunction {
  const dict = DICTIONARIES[lang] as Record<string, string>;
  return (key, vars) => {
    let text = dict[key] ?? (en as Record<string, string>)[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(String(v));
    return text;
  };
}

export const LangContext = createContext<{ lang: Lang; t: TFunction }>({ lang: "en", t: translator("en") });

export const useT = () => useContext(LangContext);
