import { baseName } from "./format";
import type { BucketClient } from "./api";

/** Saves a file under its own name: a short-lived presigned URL with ufileattname, opened by a link click. */
export async function download(client: BucketClient, key: string): Promise<void> {
  const a = document.createElement("a");
  a.href = await client.presign(key, 300, baseName(key));
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
}
