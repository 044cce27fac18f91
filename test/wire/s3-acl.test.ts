/**
 * An object's ACL means the same over S3 as over the UFile plane: anonymous S3 path-style reads of
 * `public-read` objects in a private bucket work, and `private` objects in a public bucket stay closed.
 */
import { describe, expect, it } from "vitest";
import { file, newBucket, putFile, request } from "./client";

const setAcl = (bucket: string, key: string, acl: string) => file(bucket, key, { method: "PUT", query: "acl", headers: { "x-ufile-object-acl": acl } });
/** Anonymous S3 path-style GET or HEAD on the service's own address (a host that names no bucket). */
const anonymousS3 = (bucket: string, key: string, method = "GET") => request({ method, path: `/${bucket}/${key}` });

describe("object ACLs over S3", () => {
  it("public-read opens one object of a private bucket; private closes one of a public bucket", async () => {
    const priv = await newBucket("private");
    const pub = await newBucket("public");
    await putFile(priv, "open.txt", "open", "text/plain");
    await putFile(priv, "closed.txt", "closed", "text/plain");
    await putFile(pub, "shut.txt", "shut", "text/plain");
    await putFile(pub, "seen.txt", "seen", "text/plain");
    expect((await setAcl(priv, "open.txt", "public-read")).status).toBe(200);
    expect((await setAcl(pub, "shut.txt", "private")).status).toBe(200);

    const open = await anonymousS3(priv, "open.txt");
    expect(open.status, open.text()).toBe(200);
    expect(open.text()).toBe("open");
    expect((await anonymousS3(priv, "open.txt", "HEAD")).status).toBe(200);
    expect((await anonymousS3(pub, "seen.txt")).text()).toBe("seen");

    for (const [bucket, key] of [[priv, "closed.txt"], [pub, "shut.txt"]]) {
      const res = await anonymousS3(bucket, key);
      expect(res.status).toBe(403);
      expect(res.text()).toContain("<Code>AccessDenied</Code>");
      expect((await anonymousS3(bucket, key, "HEAD")).status).toBe(403);
    }
  });
});
