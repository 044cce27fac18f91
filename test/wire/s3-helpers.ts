/**
 * S3 clients for the wire tests: @aws-sdk/client-s3 as users configure it against edgefile, with
 * the SDK's current default checksum behaviour. Path style connects to the server's address;
 * virtual-hosted style sends `Host: <bucket>.localhost:<port>` and resolves every name to
 * 127.0.0.1 (Node does not resolve *.localhost by itself).
 */
import http from "node:http";
import { S3Client } from "@aws-sdk/client-s3";
import { PRIVATE_KEY, PUBLIC_KEY, server, uniqueName } from "./client";

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}
export const ROOT_ACCESS_KEY: AccessKey = { accessKeyId: PUBLIC_KEY, secretAccessKey: PRIVATE_KEY };

const loopback = new http.Agent({
  keepAlive: true,
  lookup: ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
    opts?.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)) as never,
});

export function s3Client(opts: { style?: "path" | "virtual"; key?: AccessKey; region?: string } = {}): S3Client {
  const style = opts.style ?? "path";
  return new S3Client({
    region: opts.region ?? "us-east-1",
    endpoint: style === "path" ? server().url : `http://localhost:${server().port}`,
    forcePathStyle: style === "path",
    credentials: opts.key ?? ROOT_ACCESS_KEY,
    requestHandler: { httpAgent: loopback },
    maxAttempts: 1,
  });
}

/** A bucket name unique in the run (S3 names: lower case, digits, dashes). */
export const s3BucketName = (prefix = "s3") => uniqueName(prefix).toLowerCase();

/** The error an SDK call failed with: name (the S3 code) and HTTP status. */
export async function s3Failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error("the call succeeded");
}

export const md5Hex = async (bytes: Uint8Array | string) => (await import("node:crypto")).createHash("md5").update(bytes).digest("hex");
