import type { Settings } from "../config";
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
}
