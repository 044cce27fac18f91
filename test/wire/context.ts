/**
 * What ./global-setup.ts gives the wire tests (`inject("wire")`), and the root keys it configures:
 * the docs/protocol.md test key pair, as in the workerd project (test/vitest.config.ts).
 */
export const PUBLIC_KEY = "ucloudsomeone@example.com1296235120854146120";
export const PRIVATE_KEY = "46f09bb9fab4f12dfc160dae12273d5332b5debe";

/** The custom bucket host the harness configures (CUSTOM_HOSTS), and its bucket (created by the test that uses it). */
export const OWN_SITE = { host: "site.example.test", bucket: "wire-own-site" };

export interface WireServer {
  /** `http://127.0.0.1:<port>`: the Worker as `npm start` serves it. */
  url: string;
  port: number;
  /** The Worker's console output of this run (EDGEFILE_WIRE_LOG=1 also prints it). */
  logFile: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    wire: WireServer;
  }
}
