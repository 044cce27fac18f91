#!/usr/bin/env node
// Signs and sends one control-plane call, as the UCloud API SDKs do (PROTOCOL.md §3.2).
//   npm run call -- Action=CreateBucket BucketName=demo Type=public
// Keys: EDGEFILE_PUBLIC_KEY / EDGEFILE_PRIVATE_KEY, else ROOT_* from .dev.vars.
// Endpoint: EDGEFILE_URL (default http://localhost:8787).
import { createHash } from "node:crypto";
import { localKeys } from "./keys.mjs";

const params = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const eq = arg.indexOf("=");
    if (eq < 1) throw new Error(`expected Name=Value, got ${arg}`);
    return [arg.slice(0, eq), arg.slice(eq + 1)];
  }),
);
if (!params.Action) {
  console.error("usage: npm run call -- Action=<Action> [Name=Value ...]");
  process.exit(2);
}
const { publicKey, privateKey } = localKeys();
params.PublicKey = publicKey;
const names = Object.keys(params).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
params.Signature = createHash("sha1")
  .update(names.map((k) => k + params[k]).join("") + privateKey)
  .digest("hex");

const base = process.env.EDGEFILE_URL ?? "http://localhost:8787";
const res = await fetch(`${base}/?${new URLSearchParams(params)}`);
console.log(JSON.stringify(await res.json(), null, 2));
