import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Session } from "./session";
import type { UploadQueue } from "./uploads";
import type { BucketClient } from "./api";

/** What every screen needs: who is signed in, the upload queue, and a data-plane client per bucket. */
export interface ConsoleContext {
  session: Session;
  updateSession: (patch: Partial<Session>) => void;
  uploads: UploadQueue;
  bucket: (name: string) => BucketClient;
}

export const AppContext = createContext<ConsoleContext | null>(null);

export function useApp(): ConsoleContext {
  const c = useContext(AppContext);
  if (!c) throw new Error("useApp outside the signed-in console");
  return c;
}

/** Routes are hashes, so that the console is one static page: `#/files/<bucket>/<prefix>` etc. */
export function go(path: string): void {
  location.hash = "#" + path;
}

export const filesPath = (bucket: string, prefix = "") => `/files/${encodeURIComponent(bucket)}/${encodeURIComponent(prefix)}`;
