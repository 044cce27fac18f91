/**
 * The private key as a Web Crypto key the page can sign with but never read (docs/security.md "Origins",
 * defence in depth): imported once at sign-in as a NON-extractable HMAC-SHA1 key and kept in IndexedDB,
 * which stores CryptoKey objects themselves (structured clone) rather than their bytes. Script running on
 * the console's origin can then ask for signatures while the page is open, but `exportKey` refuses and no
 * storage holds the key's text, so the key cannot be carried away.
 *
 * One record per signed-in tab (`tab:<id>`, the id in sessionStorage: gone with the tab) or one shared
 * record for "remember me" (`remembered`). Each tab holds a Web Lock named after its id while it is open;
 * records of tabs whose lock nobody holds any more (closed tabs) are deleted when a console page loads.
 */
const DB_NAME = "edgefile-console";
const STORE = "keys";
const TAB_ID = "edgefile.console.tab";
const REMEMBERED = "remembered";
const LOCK_PREFIX = "edgefile-console-tab:";

export const importSigningKey = (privateKey: string): Promise<CryptoKey> =>
  crypto.subtle.importKey("raw", new TextEncoder().encode(privateKey), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = work(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

/** This tab's id, created on first use; the tab holds its lock until it closes. */
function tabId(): string {
  let id = sessionStorage.getItem(TAB_ID);
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem(TAB_ID, id);
  }
  return id;
}

let locked = false;
function holdTabLock(id: string): void {
  if (locked || !navigator.locks) return;
  locked = true;
  void navigator.locks.request(LOCK_PREFIX + id, () => new Promise<void>(() => {}));
}

const recordId = (remember: boolean) => (remember ? REMEMBERED : `tab:${tabId()}`);

export async function saveSigningKey(key: CryptoKey, remember: boolean): Promise<void> {
  await forgetSigningKey();
  if (!remember) holdTabLock(tabId());
  await run("readwrite", (s) => s.put(key, recordId(remember)));
}

export async function loadSigningKey(remember: boolean): Promise<CryptoKey | null> {
  if (!remember) holdTabLock(tabId());
  await sweepClosedTabs();
  return ((await run("readonly", (s) => s.get(recordId(remember)))) as CryptoKey | undefined) ?? null;
}

/** Sign-out: this tab's record and the remembered one. */
export async function forgetSigningKey(): Promise<void> {
  await run("readwrite", (s) => s.delete(recordId(true)));
  await run("readwrite", (s) => s.delete(recordId(false)));
}

/** Deletes the records of closed tabs (their Web Lock is no longer held). */
async function sweepClosedTabs(): Promise<void> {
  if (!navigator.locks) return;
  const held = new Set(((await navigator.locks.query()).held ?? []).map((l) => l.name));
  const ids = (await run("readonly", (s) => s.getAllKeys())) as string[];
  for (const id of ids) {
    if (id.startsWith("tab:") && id !== `tab:${tabId()}` && !held.has(LOCK_PREFIX + id.slice(4))) await run("readwrite", (s) => s.delete(id));
  }
}
