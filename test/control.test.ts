import { describe, expect, it } from "vitest";
import { call, control, signControl, toQuery, API } from "./helpers";

describe("smoke", () => {
  it("creates a bucket", async () => {
    const { body } = await control({ Action: "CreateBucket", BucketName: "smoke-bucket" });
    expect(body.RetCode).toBe(0);
    expect(body.BucketId).toMatch(/^oss-[0-9a-z]{6}$/);
  });
  it("unused", async () => {
    void call; void signControl; void toQuery; void API;
  });
});
