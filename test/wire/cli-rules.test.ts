// The edgefile CLI's rule commands over real HTTP (issue 22): lifecycle, referer and cors
// ls|set|rm ufile://<bucket>, with --json, checked against what the API then answers.
import { afterAll, describe, expect, it } from "vitest";
import { file, newBucket, putFile, server, request } from "./client";
import { cliJson, removeTempDirs, runCli } from "./cli";
import { pythonSdk } from "./rules-ufile";

afterAll(removeTempDirs);

describe("edgefile lifecycle|referer|cors", () => {
  it("lifecycle set, ls, change with --id, rm", async () => {
    const bucket = await newBucket();
    const { LifeCycleId: id } = await cliJson(["lifecycle", "set", `ufile://${bucket}`, "--prefix", "logs/", "--ia-days", "7", "--delete-days", "30"]);
    expect(id).toMatch(/\S/);
    const listed = await cliJson(["lifecycle", "ls", `ufile://${bucket}`]);
    expect(listed).toEqual([{ LifeCycleId: id, LifeCycleName: "logs/", Prefix: "logs/", Status: "Enabled", Days: 30, IADays: 7, ArchivalDays: 0, BucketName: bucket }]);
    expect((await runCli(["lifecycle", "ls", `ufile://${bucket}`])).stdout).toMatch(/logs\/\s+Enabled\s+7\s+0\s+30/);
    await cliJson(["lifecycle", "set", bucket, "--id", id, "--prefix", "logs/", "--delete-days", "60", "--disabled"]);
    expect((await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket })).DateSet[0]).toMatchObject({ Days: 60, IADays: 0, Status: "Disabled" });
    // The API's refusal reaches the user with its code.
    const bad = await runCli(["lifecycle", "set", `ufile://${bucket}`, "--prefix", "tmp/", "--delete-days", "3"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/15018/);
    expect(await cliJson(["lifecycle", "rm", `ufile://${bucket}`, id])).toEqual({ deleted: [id] });
    expect(await cliJson(["lifecycle", "ls", `ufile://${bucket}`])).toEqual([]);
  });

  it("referer set, ls, rm: the rule acts on anonymous reads", async () => {
    const bucket = await newBucket("public");
    await putFile(bucket, "a.txt", "x");
    await cliJson(["referer", "set", `ufile://${bucket}`, "--type", "whitelist", "--referer", "^https://ok\\.example/", "--refuse-empty"]);
    expect(await cliJson(["referer", "ls", `ufile://${bucket}`])).toEqual({ RefererStatus: "on", RefererType: 2, Referers: ["^https://ok\\.example/"], RefererAllowNull: false });
    expect((await file(bucket, "a.txt", { auth: "none", headers: { Referer: "https://bad.example/" } })).status).toBe(403);
    expect((await file(bucket, "a.txt", { auth: "none", headers: { Referer: "https://ok.example/p" } })).status).toBe(200);
    await cliJson(["referer", "rm", `ufile://${bucket}`]);
    expect(await cliJson(["referer", "ls", `ufile://${bucket}`])).toEqual({ RefererStatus: "off" });
    expect((await file(bucket, "a.txt", { auth: "none", headers: { Referer: "https://bad.example/" } })).status).toBe(200);
  });

  it("cors set, ls, rm: the rules decide preflights", async () => {
    const bucket = await newBucket();
    await cliJson(["cors", "set", `ufile://${bucket}`, "--origin", "https://app.example", "--method", "GET", "--method", "PUT", "--max-age", "300"]);
    expect(await cliJson(["cors", "ls", `ufile://${bucket}`])).toEqual([
      { ID: "", AllowedOrigins: ["https://app.example"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: [], ExposeHeaders: [], MaxAgeSeconds: 300 },
    ]);
    const preflight = (origin: string) =>
      request({ method: "OPTIONS", host: `${bucket}.localhost:${server().port}`, path: "/k", headers: { Origin: origin, "Access-Control-Request-Method": "PUT" } });
    expect((await preflight("https://app.example")).headers["access-control-max-age"]).toBe("300");
    expect((await preflight("https://other.example")).status).toBe(403);
    await cliJson(["cors", "rm", `ufile://${bucket}`]);
    expect(await cliJson(["cors", "ls", `ufile://${bucket}`])).toEqual([]);
    expect((await preflight("https://other.example")).status).toBe(200);
  });
});
