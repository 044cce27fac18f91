import { describe, expect, it } from "vitest";
import { checkFileDomain } from "../src/file-domain";
import { API, callWithEnv, file, newBucket, put, signControl, toQuery } from "./helpers";

describe("FILE_DOMAIN check (src/file-domain.ts)", () => {
  it.each([
    ["files.example.com", "files.example.com"],
    ["Files.Example.COM", "files.example.com"],
    [".files.example.com", "files.example.com"], // the SDKs' suffix notation
    ["localhost", "localhost"],
    ["", "localhost"],
    [undefined, "localhost"],
  ])("accepts %j as %s", (raw, domain) => {
    expect(checkFileDomain(raw)).toEqual({ domain });
  });

  it.each([
    ["https://files.example.com", "files.example.com"],
    ["http://files.example.com/", "files.example.com"],
    ["localhost:8787", "localhost"],
    ["files.example.com/bucket", "files.example.com"],
    ["*.files.example.com", "files.example.com"],
    ["files.example.com.", "files.example.com"],
  ])("refuses %s and says to write %s", (raw, suggestion) => {
    const { problem } = checkFileDomain(raw);
    expect(problem).toContain(`FILE_DOMAIN="${raw}" is not a host name`);
    expect(problem).toContain(`write FILE_DOMAIN="${suggestion}" instead`);
  });

  it("names the port's place when a port was given", () => {
    expect(checkFileDomain("localhost:8787").problem).toContain("http://<bucket>.localhost:8787");
  });

  it.each(["files_example.com", "127.0.0.1", "a..b", "exa mple.com", "-x.example.com"])("refuses %s with an example", (raw) => {
    const { problem } = checkFileDomain(raw);
    expect(problem).toContain("is not a host name");
    expect(problem).toContain('for example FILE_DOMAIN="files.example.com"');
  });
});

describe("a misconfigured Worker answers 15004 'service is not configured'", () => {
  it("control plane: a FILE_DOMAIN with a scheme, instead of Domain.Src hosts like demo.https://…", async () => {
    const res = await callWithEnv(
      { FILE_DOMAIN: "https://files.example.com" },
      `${API}/?${toQuery(await signControl({ Action: "DescribeBucket" }))}`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ RetCode: 15004, Action: "DescribeBucketResponse" });
    expect(body.Message).toMatch(/^Service is not configured: FILE_DOMAIN="https:\/\/files\.example\.com" is not a host name/);
    expect(body.Message).toContain('write FILE_DOMAIN="files.example.com" instead');
    expect(JSON.stringify(body)).not.toContain("DataSet");
  });

  it("data plane: a FILE_DOMAIN with a port is refused, with a 503 JSON error; nothing is read or written", async () => {
    const b = await newBucket();
    await put(b, "k", "kept");
    const res = await file(b, "k", { method: "PUT", body: "replaced", env: { FILE_DOMAIN: "localhost:8787" } });
    expect(res.status).toBe(503);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    const body = (await res.json()) as { RetCode: number; ErrMsg: string };
    expect(body.RetCode).toBe(15004);
    expect(body.ErrMsg).toContain('write FILE_DOMAIN="localhost" instead');
    expect(await (await file(b, "k")).text()).toBe("kept");
  });

  it("root keys missing: the message says so", async () => {
    const res = await callWithEnv(
      { ROOT_PUBLIC_KEY: undefined, ROOT_PRIVATE_KEY: undefined },
      `${API}/?${toQuery(await signControl({ Action: "DescribeBucket" }))}`,
    );
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.RetCode).toBe(15004);
    expect(body.Message).toMatch(/not configured: ROOT_PUBLIC_KEY \/ ROOT_PRIVATE_KEY are not set/);
  });
});
