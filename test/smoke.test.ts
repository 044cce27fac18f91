import { expect, it } from "vitest";
import { file, newBucket, put } from "./helpers";

it("put then get", async () => {
  const b = await newBucket();
  const etag = await put(b, "hello.txt", "abc");
  expect(etag).toBe("AQAAAKmZPjZHBoFquj4lcXhQwmyc0Nid");
  const res = await file(b, "hello.txt");
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("abc");
  expect(res.headers.get("ETag")).toBe(etag);
  const head = await file(b, "hello.txt", { method: "HEAD" });
  expect(head.headers.get("Content-Length")).toBe("3");
});
