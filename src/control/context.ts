import type { Env, Settings } from "../config";
import type { Database } from "../store/db";
import type { Params } from "./params";

/** What every control-plane action receives. */
export interface ControlContext {
  env: Env;
  settings: Settings;
  db: Database;
  params: Params;
  /** `ProjectId` or the configured default. */
  projectId: string;
  /** `Region` or the configured default. */
  region: string;
  /** The public key that signed the call. */
  publicKey: string;
  ctx: ExecutionContext;
}

/** An action answers the fields that go beside `RetCode`/`Action`/`Message`. */
export type ControlAction = (c: ControlContext) => Promise<Record<string, unknown>>;
