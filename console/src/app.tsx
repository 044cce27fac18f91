import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { BucketClient } from "./lib/api";
import { AppContext, filesPath, type ConsoleContext } from "./lib/context";
import { LangContext, initialLang, rememberLang, translator, type Lang } from "./lib/i18n";
import { clearSession, loadSession, parsePlace, saveSession, type Session } from "./lib/session";
import { UploadQueue } from "./lib/uploads";
import { Buckets } from "./views/Buckets";
import { Files } from "./views/Files";
import { Rules } from "./views/Rules";
import { SignIn } from "./views/SignIn";
import { Tokens } from "./views/Tokens";
import { Uploads } from "./views/Uploads";
import { Usage } from "./views/Usage";

function useHash(): string {
  const [hash, setHash] = useState(location.hash.slice(1));
  useEffect(() => {
    const on = () => setHash(location.hash.slice(1));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

type Screen = { name: "buckets" } | { name: "tokens" } | { name: "usage" } | { name: "files"; bucket: string; prefix: string } | { name: "rules"; bucket: string };

function parseRoute(hash: string): Screen {
  const parts = hash.split("/").filter((_, i) => i > 0);
  if (parts[0] === "files" && parts[1]) return { name: "files", bucket: decodeURIComponent(parts[1]), prefix: decodeURIComponent(parts.slice(2).join("/")) };
  if (parts[0] === "rules" && parts[1]) return { name: "rules", bucket: decodeURIComponent(parts[1]) };
  if (parts[0] === "tokens") return { name: "tokens" };
  if (parts[0] === "usage") return { name: "usage" };
  return { name: "buckets" };
}

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [session, setSession] = useState<Session | null>(null);
  // The session is read from storage once (IndexedDB is asynchronous); nothing is shown until then.
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    void loadSession()
      .then(setSession)
      .finally(() => setLoaded(true));
  }, []);
  const hash = useHash();
  // A new screen (or folder) starts at its top, not at the scroll offset of the one before.
  const scroller = useRef<HTMLDivElement>(null);
  useEffect(() => scroller.current?.scrollTo(0, 0), [hash]);
  const t = useMemo(() => translator(lang), [lang]);
  useEffect(() => rememberLang(lang), [lang]);

  // One upload queue per signed-in key pair; it reads the latest session (file host) through a ref.
  const current = useRef(session);
  current.current = session;
  const uploads = useMemo(
    () => (session ? new UploadQueue((name) => new BucketClient(current.current!, name)) : null),
    [session?.keys.publicKey, session?.keys.signingKey],
  );
  const ctx = useMemo<ConsoleContext | null>(() => {
    if (!session || !uploads) return null;
    return {
      session,
      updateSession: (patch) => {
        const next = { ...session, ...patch };
        if (JSON.stringify(next) === JSON.stringify(session)) return;
        setSession(next);
        void saveSession(next);
      },
      uploads,
      bucket: (name: string) => new BucketClient(session, name),
    };
  }, [session, uploads]);

  const signOut = () => {
    setSession(null);
    location.hash = "";
    void clearSession();
  };

  const langSwitch = (
    <div class="lang" role="group" aria-label={t("app.language")}>
      {(["en", "zh"] as Lang[]).map((l) => (
        <button type="button" aria-pressed={lang === l} onClick={() => setLang(l)} lang={l === "zh" ? "zh-CN" : "en"}>
          {l === "en" ? "English" : "中文"}
        </button>
      ))}
    </div>
  );

  if (!loaded) return null;
  if (!session || !ctx) {
    return (
      <LangContext.Provider value={{ lang, t }}>
        <div class="topbar signed-out">{langSwitch}</div>
        <SignIn
          onSignedIn={async (signedIn) => {
            const s = await saveSession(signedIn);
            setSession(s);
            if (s.kind === "token") {
              const first = parsePlace(s.places[0]);
              location.hash = "#" + filesPath(first.bucket, first.prefix);
            }
          }}
        />
      </LangContext.Provider>
    );
  }

  const screen = parseRoute(hash);
  const nav: [Screen["name"], string, string][] = [
    ["buckets", "#/buckets", t("nav.buckets")],
    ["tokens", "#/tokens", t("nav.tokens")],
    ["usage", "#/usage", t("nav.usage")],
  ];
  return (
    <LangContext.Provider value={{ lang, t }}>
      <AppContext.Provider value={ctx}>
        {/* A full-height column: the content scrolls in its own box, the upload tray takes the room below it. */}
        <div class="shell">
          <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
            {t("app.skip")}
          </a>
          <header class="topbar">
            <a class="brand" href="#/buckets">
              {t("app.name")}
            </a>
            <nav aria-label={t("nav.label")}>
              {nav.map(([name, href, label]) => (
                <a href={href} aria-current={screen.name === name || (name === "buckets" && (screen.name === "files" || screen.name === "rules")) ? "page" : undefined}>
                  {label}
                </a>
              ))}
            </nav>
            <div class="who">
              <span class="badge" title={session.keys.publicKey}>
                {session.kind === "root" ? t("app.root") : t("app.token")}
              </span>
              {langSwitch}
              <button type="button" onClick={signOut}>
                {t("app.signOut")}
              </button>
            </div>
          </header>
          <div class="scroller" ref={scroller}>
            <main id="main" tabIndex={-1}>
              {screen.name === "buckets" && <Buckets />}
              {/* Keyed by folder: a new folder starts with a fresh filter, page and selection. */}
              {screen.name === "files" && <Files key={`${screen.bucket}/${screen.prefix}`} bucket={screen.bucket} prefix={screen.prefix} />}
              {screen.name === "rules" && <Rules key={screen.bucket} bucket={screen.bucket} />}
              {screen.name === "tokens" && <Tokens />}
              {screen.name === "usage" && <Usage />}
            </main>
          </div>
          <Uploads />
        </div>
      </AppContext.Provider>
    </LangContext.Provider>
  );
}
