import { forgetSigningKey, importSigningKey, loadSigningKey, saveSigningKey } from "./keystore";
import type { KeyPair } from "./sign";

/**
 * Who is signed in. The key pair never leaves the browser except as signatures. The private key is kept
 * as a non-extractable Web Crypto key (lib/keystore.ts): script on this origin can sign with it but not
 * read it. Only a root session also keeps the key's text, because the control plane's signature
 * (docs/protocol.md §3.2) appends the key to the text it hashes, which no Web Crypto key can do; a token
 * cannot call the control plane, so its text is dropped after sign-in. The rest of the session is kept in
 * sessionStorage (this tab, until it closes), or in localStorage when the user ticks "remember" (this
 * browser profile, until sign-out). Nothing is stored on the server: there is no session.
 */
export interface Session {
  kind: "root" | "token";
  keys: KeyPair;
  /**
   * Data-plane host suffix with port: bucket `b` is at `<scheme>//b.<fileHost>`. Learnt from
   * DescribeBucket's `Domain.Src` for root; given at sign-in for a token (which cannot call it).
   */
  fileHost: string;
  /** Token sign-in: the buckets to open, each optionally with a starting folder (`demo/photos/`). */
  places: string[];
  remember: boolean;
}

const STORE_KEY = "edgefile.console.session";

/** What web storage holds: the session without the signing key (a CryptoKey is not text). */
type StoredSession = Omit<Session, "keys"> & { keys: Omit<KeyPair, "signingKey"> };

export async function loadSession(): Promise<Session | null> {
  for (const store of [sessionStorage, localStorage]) {
    const raw = store.getItem(STORE_KEY);
    if (!raw) continue;
    try {
      const s = JSON.parse(raw) as StoredSession;
      if (!s.keys?.publicKey) continue;
      const signingKey = (await loadSigningKey(s.remember)) ?? (s.keys.privateKey ? await importSigningKey(s.keys.privateKey) : null);
      if (signingKey) return { ...s, keys: { ...s.keys, signingKey } };
    } catch {
      store.removeItem(STORE_KEY);
    }
  }
  return null;
}

/** Keeps the session; a token's private key text is dropped here (the signing key replaces it). */
export async function saveSession(s: Session): Promise<Session> {
  await clearSession();
  const keys: KeyPair = s.kind === "root" ? s.keys : { publicKey: s.keys.publicKey, signingKey: s.keys.signingKey };
  const stored: StoredSession = { ...s, keys: { publicKey: keys.publicKey, privateKey: keys.privateKey } };
  (s.remember ? localStorage : sessionStorage).setItem(STORE_KEY, JSON.stringify(stored));
  await saveSigningKey(keys.signingKey, s.remember);
  return { ...s, keys };
}

export async function clearSession(): Promise<void> {
  sessionStorage.removeItem(STORE_KEY);
  localStorage.removeItem(STORE_KEY);
  await forgetSigningKey();
}

export const isTokenKey = (publicKey: string) => publicKey.startsWith("TOKEN_");

/**
 * The data-plane host suffix before anything is learnt: FILE_DOMAIN from the meta tag the Worker adds
 * to the page (src/console.ts), with the page's port (the same Worker serves both).
 */
export function defaultFileHost(): string {
  const domain = document.querySelector('meta[name="edgefile-file-domain"]')?.getAttribute("content") || location.hostname;
  return location.port ? `${domain}:${location.port}` : domain;
}

/** The origin of a bucket's data-plane host, in the page's scheme. */
export const bucketOrigin = (s: Session, bucket: string) => `${location.protocol}//${bucket}.${s.fileHost}`;

/**
 * `<bucket>.<FILE_DOMAIN>` from `Domain.Src` → the host suffix, with the page's port (the data
 * plane is served by the same Worker, so it listens where the console does).
 */
export function fileHostFromDomain(bucket: string, src: string): string {
  const domain = src.startsWith(bucket + ".") ? src.slice(bucket.length + 1) : src;
  return location.port && !domain.includes(":") ? `${domain}:${location.port}` : domain;
}

/** Splits a token sign-in place `bucket/folder/` into its bucket and starting prefix. */
export function parsePlace(place: string): { bucket: string; prefix: string } {
  const trimmed = place.trim().replace(/^\/+/, "");
  const slash = trimmed.indexOf("/");
  if (slash < 0) return { bucket: trimmed, prefix: "" };
  return { bucket: trimmed.slice(0, slash), prefix: trimmed.slice(slash + 1) };
}
