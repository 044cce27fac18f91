#!/usr/bin/env node
// `npm run deploy:verify -- https://<API host> [--file-url <template>] [--s3 <url>] [--console <url>]`:
// exercises every front of a deployment once (control plane, UFile data plane with a presigned URL,
// S3, console) with the root keys of EDGEFILE_PUBLIC_KEY / EDGEFILE_PRIVATE_KEY, and removes every
// object it wrote. One line per check; exit 1 if any failed (docs/deploy.md step 8).
//
// The bucket `edgefile-deploy-verify` is created on the first run and kept (empty) for the next:
// a bucket younger than BUCKET_MIN_AGE_SECONDS cannot be deleted.
import { parseArgs } from "node:util";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { makeContext } from "../../cli/lib/context.mjs";
import { readAll, request } from "../../cli/lib/net.mjs";

export const VERIFY_BUCKET = "edgefile-deploy-verify";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "file-url": { type: "string" }, s3: { type: "string" }, console: { type: "string" } },
});
const api = positionals[0]?.replace(/\/+$/, "");
if (!api || !/^https?:\/\//.test(api)) {
  console.error("usage: npm run deploy:verify -- https://<API host> [--file-url https://{bucket}.<FILE_DOMAIN>] [--s3 https://<S3 host>] [--console https://<console host>/]");
  process.exit(2);
}
const publicKey = process.env.EDGEFILE_PUBLIC_KEY ?? "";
const privateKey = process.env.EDGEFILE_PRIVATE_KEY ?? "";
if (!publicKey || !privateKey) {
  console.error("deploy:verify: set EDGEFILE_PUBLIC_KEY and EDGEFILE_PRIVATE_KEY to the root pair of the deployment (docs/deploy.md step 5)");
  process.exit(2);
}

let failures = 0;
/** Runs one check and prints its line. @param {string} what @param {() => Promise<string | void>} fn */
async function step(what, fn) {
  try {
    const detail = await fn();
    console.log(`ok    ${what}${detail ? `: ${detail}` : ""}`);
    return true;
  } catch (err) {
    failures++;
    console.log(`FAIL  ${what}: ${err instanceof Error ? err.message : err}`);
    return false;
  }
}

const ctx = makeContext({ url: api, fileUrl: values["file-url"] });
const stamp = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const ufileKey = `verify/${stamp}-ufile.txt`;
const s3Key = `verify/${stamp}-s3.txt`;
const body = `edgefile deploy:verify ${new Date().toISOString()}\n`;
/** The file domain, from the bucket's host (DescribeBucket's Domain.Src). */
let fileDomain = "";

const controlOk = await step(`control plane ${api}: DescribeBucket / CreateBucket ${VERIFY_BUCKET}`, async () => {
  let [bucket] = (await ctx.control.call({ Action: "DescribeBucket", BucketName: VERIFY_BUCKET }).catch(() => ({ DataSet: [] }))).DataSet ?? [];
  if (!bucket) {
    await ctx.control.call({ Action: "CreateBucket", BucketName: VERIFY_BUCKET, Type: "private" });
    [bucket] = (await ctx.control.call({ Action: "DescribeBucket", BucketName: VERIFY_BUCKET })).DataSet ?? [];
  }
  const host = String(bucket?.Domain?.Src?.[0] ?? "");
  fileDomain = host.startsWith(`${VERIFY_BUCKET}.`) ? host.slice(VERIFY_BUCKET.length + 1) : "";
  return `bucket host ${host || "(none)"}`;
});

if (controlOk) {
  await step(`UFile data plane: PutFile, GetFile, presigned GET, DeleteFile of ${ufileKey}`, async () => {
    await ctx.data.put(VERIFY_BUCKET, ufileKey, Buffer.from(body), Buffer.byteLength(body), "text/plain");
    try {
      const got = (await readAll((await ctx.data.get(VERIFY_BUCKET, ufileKey)).stream)).toString("utf8");
      if (got !== body) throw new Error(`GetFile answered other bytes: ${JSON.stringify(got.slice(0, 60))}`);
      const url = await ctx.data.presign({ bucket: VERIFY_BUCKET, key: ufileKey, method: "GET", expires: Math.floor(Date.now() / 1000) + 600 });
      const res = await request({ method: "GET", url });
      const presigned = (await readAll(res.stream)).toString("utf8");
      if (res.status !== 200 || presigned !== body) throw new Error(`the presigned URL answered HTTP ${res.status}`);
      const etag = String(res.headers.etag ?? "");
      if (!etag || etag.startsWith("W/") || !res.headers["content-length"]) {
        throw new Error(`the edge changed the response: ETag "${etag}", Content-Length ${res.headers["content-length"] ?? "missing"} (docs/protocol.md §10)`);
      }
    } finally {
      await ctx.data.del(VERIFY_BUCKET, ufileKey);
    }
  });

  const s3Url = values.s3 ?? (fileDomain && !/^http:\/\/(localhost|127\.)/.test(api) ? `${new URL(api).protocol}//${fileDomain}` : api);
  await step(`S3 ${s3Url}: PutObject, GetObject, DeleteObject of ${s3Key}`, async () => {
    const s3 = new S3Client({ endpoint: s3Url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: publicKey, secretAccessKey: privateKey }, maxAttempts: 2 });
    try {
      await s3.send(new PutObjectCommand({ Bucket: VERIFY_BUCKET, Key: s3Key, Body: body, ContentType: "text/plain" }));
      try {
        const got = await (await s3.send(new GetObjectCommand({ Bucket: VERIFY_BUCKET, Key: s3Key }))).Body?.transformToString();
        if (got !== body) throw new Error("GetObject answered other bytes");
      } finally {
        await s3.send(new DeleteObjectCommand({ Bucket: VERIFY_BUCKET, Key: s3Key }));
      }
    } finally {
      s3.destroy();
    }
  });

  await step(`nothing left behind in ufile://${VERIFY_BUCKET}/verify/`, async () => {
    for await (const page of ctx.data.list(VERIFY_BUCKET, { prefix: `verify/${stamp}` })) {
      if (page.objects.length) throw new Error(`still there: ${page.objects.map((o) => o.key).join(", ")}`);
    }
  });
}

// The API host's /ui/ redirects to the console's own host (CONSOLE_HOST): one redirect is followed.
const consoleUrl = values.console ?? `${api}/ui/`;
await step(`console ${consoleUrl}`, async () => {
  let res = await request({ method: "GET", url: consoleUrl });
  let detail;
  const location = res.headers.location;
  if (res.status >= 300 && res.status < 400 && location) {
    res.stream.resume();
    const next = new URL(location, consoleUrl).toString();
    res = await request({ method: "GET", url: next });
    detail = `redirected to ${next}`;
  }
  const html = (await readAll(res.stream)).toString("utf8");
  if (res.status !== 200 || !/<html/i.test(html)) throw new Error(`answered HTTP ${res.status} ${String(res.headers["content-type"] ?? "")}, not the console's page`);
  if (!res.headers["content-security-policy"]) throw new Error("the console's page came without its Content-Security-Policy");
  return detail;
});

console.log(failures ? `deploy:verify: ${failures} check(s) failed` : "deploy:verify: every front answered");
process.exit(failures ? 1 : 0);
