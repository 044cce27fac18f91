#!/usr/bin/env node
// Prints a query-signed (presigned) data-plane URL, as the SDKs' private-download helpers make
// them (PROTOCOL.md §2.5):
//   npm run -s presign -- <bucket> <key> [seconds=3600] [METHOD=GET] [Content-Type]
//   curl "$(npm run -s presign -- demo hello.txt)"
//   curl -T hello.txt "$(npm run -s presign -- demo hello.txt 600 PUT)"
// Keys as for `npm run call`; base URL: EDGEFILE_FILE_URL (default http://<bucket>.localhost:8787).
import { createHmac } from "node:crypto";
import { localKeys } from "./keys.mjs";

const [bucket, key, seconds = "3600", method = "GET", contentType = ""] = process.argv.slice(2);
if (!bucket || !key) {
  console.error("usage: npm run -s presign -- <bucket> <key> [seconds] [METHOD] [Content-Type]");
  process.exit(2);
}
const { publicKey, privateKey } = localKeys();
const expires = Math.floor(Date.now() / 1000) + Number(seconds);
const stringToSign = `${method.toUpperCase()}\n\n${contentType}\n${expires}\n/${bucket}/${key}`;
const signature = createHmac("sha1", privateKey).update(stringToSign).digest("base64");
const base = (process.env.EDGEFILE_FILE_URL ?? "http://{bucket}.localhost:8787").replace("{bucket}", bucket);
const path = key.split("/").map(encodeURIComponent).join("/");
const query = new URLSearchParams({ UCloudPublicKey: publicKey, Expires: String(expires), Signature: signature });
console.log(`${base}/${path}?${query}`);
