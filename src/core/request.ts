import type { Settings } from "../config";
import type { RequestBytes } from "../metering/events";
import type { WriteScope } from "./upload";

/**
 * What every front's operation context carries: the request, the Worker's bindings and settings,
 * the request's D1 session, its lifetime (`ctx`) and its time. Core steps take it, or the part of it
 * they need (`WriteScope`), so they never see a front's own fields.
 */
export interface ServedRequest extends WriteScope {
  request: Request;
  url: URL;
  settings: Settings;
  /**
   * What the request moved, for metering (src/metering/events.ts): the front counts the body bytes
   * it answers with; a read that sends an IA object's bytes adds them as `iaGet` (`sentObject`). One
   * object per request, shared by every copy of the context.
   */
  usage: RequestBytes;
}

/** Records that the answer sends `response`'s body from object `row` (an IA object's bytes are metered apart). */
export function sentObject(c: Pick<ServedRequest, "usage">, row: { storageClass: string }, response: Response): void {
  if (row.storageClass === "IA") c.usage.iaGet = Number(response.headers.get("Content-Length")) || 0;
}
