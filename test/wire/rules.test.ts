// Issue 22: bucket rules over real HTTP. The control-plane calls are made exactly as
// ucloud-sdk-python3 makes them (./rules-ufile.ts); the referer rule is exercised on the UFile
// bucket host and on the S3 front (path and virtual-hosted style) with anonymous, presigned and
// signed reads.
import { GetBucketCorsCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { file, newBucket, putFile, request, server } from "./client";
import { pythonSdk } from "./rules-ufile";
import { s3Client } from "./s3-helpers";

const lifecycle = (fields: Record<string, string | number>) =>
  pythonSdk("CreateUFileLifeCycle", { LifeCycleName: "logs", Prefix: "logs/", Status: "Enabled", ...fields });

describe("lifecycle actions (ucloud-sdk-python3 shapes)", () => {
  it("Create, Describe (DateSet), Update and Delete round trip", async () => {
    const bucket = await newBucket();
    const created = await lifecycle({ BucketName: bucket, Days: 30, IADays: 7, ArchivalDays: 0 });
    expect(created).toMatchObject({ RetCode: 0, Action: "CreateUFileLifeCycleResponse" });
    const id = created.LifeCycleId as string;
    expect(id).toMatch(/\S/);
    const whole = await pythonSdk("CreateUFileLifeCycle", { BucketName: bucket, LifeCycleName: "all", Prefix: "*", Status: "Disabled", ArchivalDays: 90 });
    expect(whole.RetCode).toBe(0);

    const all = await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket });
    expect(all.RetCode).toBe(0);
    expect(all.DateSet).toEqual([
      { LifeCycleId: id, LifeCycleName: "logs", Prefix: "logs/", Status: "Enabled", Days: 30, IADays: 7, ArchivalDays: 0, BucketName: bucket },
      { LifeCycleId: whole.LifeCycleId, LifeCycleName: "all", Prefix: "*", Status: "Disabled", Days: 0, IADays: 0, ArchivalDays: 90, BucketName: bucket },
    ]);
    const one = await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket, LifeCycleId: id });
    expect(one.DateSet).toHaveLength(1);

    const updated = await pythonSdk("UpdateUFileLifeCycle", { BucketName: bucket, LifeCycleId: id, LifeCycleName: "logs2", Prefix: "logs/", Status: "Disabled", Days: 365 });
    expect(updated).toMatchObject({ RetCode: 0, Action: "UpdateUFileLifeCycleResponse" });
    const after = await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket, LifeCycleId: id });
    expect(after.DateSet[0]).toMatchObject({ LifeCycleName: "logs2", Status: "Disabled", Days: 365, IADays: 0 });

    expect((await pythonSdk("DeleteUFileLifeCycle", { BucketName: bucket, LifeCycleId: id })).RetCode).toBe(0);
    expect((await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket })).DateSet.map((r: { LifeCycleId: string }) => r.LifeCycleId)).toEqual([whole.LifeCycleId]);
  });

  it("answers bad input with the API's codes", async () => {
    const bucket = await newBucket();
    const cases: [Record<string, string | number>, number][] = [
      [{ BucketName: bucket, Days: 6 }, 15018],
      [{ BucketName: bucket, Days: 36501 }, 15018],
      [{ BucketName: bucket, IADays: -1 }, 15018],
      [{ BucketName: bucket, Days: 10, IADays: 20 }, 15017],
      [{ BucketName: bucket }, 15017],
      [{ BucketName: bucket, Days: 30, Status: "On" }, 15017],
      [{ BucketName: bucket, Days: "thirty" }, 15017],
      [{ BucketName: bucket, Days: 30, Prefix: "" }, 15002],
      [{ BucketName: "no-such-bucket-rules", Days: 30 }, 15010],
    ];
    for (const [fields, code] of cases) expect((await lifecycle(fields)).RetCode, JSON.stringify(fields)).toBe(code);
    expect((await lifecycle({ BucketName: bucket, Days: 30 })).RetCode).toBe(0);
    // One rule per prefix.
    expect((await lifecycle({ BucketName: bucket, Days: 60 })).RetCode).toBe(15034);
    // Unknown rule ids.
    for (const action of ["DescribeUFileLifeCycle", "DeleteUFileLifeCycle"]) {
      expect((await pythonSdk(action, { BucketName: bucket, LifeCycleId: "no-such-rule" })).RetCode).toBe(15042);
    }
    const update = await pythonSdk("UpdateUFileLifeCycle", { BucketName: bucket, LifeCycleId: "no-such-rule", LifeCycleName: "x", Prefix: "x/", Status: "Enabled", Days: 30 });
    expect(update.RetCode).toBe(15042);
    // A bucket of another project is not found (as every bucket action answers it).
    const other = await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket, ProjectId: "org-someone-else" });
    expect(other.RetCode).toBe(15010);
  });
});

describe("the referer rule", () => {
  const withReferer = (referer?: string): Record<string, string> => (referer === undefined ? {} : { Referer: referer });

  it("SetUFileReferer whitelist: anonymous and presigned reads need a listed Referer; signed reads do not", async () => {
    const bucket = await newBucket("public");
    await putFile(bucket, "pic.png", "image bytes");
    const set = await pythonSdk("SetUFileReferer", {
      BucketName: bucket,
      RefererStatus: "on",
      RefererType: 2,
      Referers: ["^https://shop\\.example\\.com/", "partner\\.example\\.org"],
      RefererAllowNull: false,
    });
    expect(set).toMatchObject({ RetCode: 0, Action: "SetUFileRefererResponse" });

    const anon = (referer?: string) => file(bucket, "pic.png", { auth: "none", headers: withReferer(referer) });
    expect((await anon("https://shop.example.com/item/1")).status).toBe(200);
    expect((await anon("http://www.partner.example.org/page")).status).toBe(200);
    const refused = await anon("https://evil.example.net/");
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ RetCode: -90040, ErrMsg: expect.stringContaining("referer") });
    expect((await anon()).status).toBe(403); // no Referer, RefererAllowNull false
    const presigned = (referer?: string) => file(bucket, "pic.png", { auth: "query", headers: withReferer(referer) });
    expect((await presigned("https://evil.example.net/")).status).toBe(403);
    expect((await presigned("https://shop.example.com/")).status).toBe(200);
    // The owner's signed request is not subject to it.
    expect((await file(bucket, "pic.png", { headers: withReferer("https://evil.example.net/") })).status).toBe(200);

    // The rule shows in DescribeBucket; off clears it.
    const described = await pythonSdk("DescribeBucket", { BucketName: bucket });
    expect(described.DataSet[0].Referer).toEqual({
      RefererStatus: "on",
      RefererType: 2,
      Referers: ["^https://shop\\.example\\.com/", "partner\\.example\\.org"],
      RefererAllowNull: false,
    });
    expect((await pythonSdk("SetUFileReferer", { BucketName: bucket, RefererStatus: "off" })).RetCode).toBe(0);
    expect((await anon("https://evil.example.net/")).status).toBe(200);
  });

  it("blacklist on the S3 front: 403 AccessDenied in S3's XML, path and virtual-hosted style, anonymous and presigned", async () => {
    const bucket = await newBucket("public");
    await putFile(bucket, "a.txt", "hello");
    const set = await pythonSdk("SetUFileReferer", { BucketName: bucket, RefererStatus: "on", RefererType: 1, Referers: ["leech\\.example"] });
    expect(set.RetCode).toBe(0);
    const { port } = server();
    const pathStyle = (referer: string) => request({ path: `/${bucket}/a.txt`, host: `127.0.0.1:${port}`, headers: { Referer: referer } });
    expect((await pathStyle("https://friend.example/")).status).toBe(200);
    const refused = await pathStyle("https://www.leech.example/x");
    expect(refused.status).toBe(403);
    expect(refused.text()).toContain("<Code>AccessDenied</Code>");
    // Blacklist with RefererAllowNull defaulting to true: no Referer passes.
    expect((await request({ path: `/${bucket}/a.txt`, host: `127.0.0.1:${port}` })).status).toBe(200);

    const url = new URL(await getSignedUrl(s3Client({ style: "virtual" }), new GetObjectCommand({ Bucket: bucket, Key: "a.txt" }), { expiresIn: 600 }));
    const presigned = (referer: string) => request({ path: url.pathname + url.search, host: url.host, headers: { Referer: referer } });
    expect((await presigned("https://friend.example/")).status).toBe(200);
    expect((await presigned("https://leech.example/")).status).toBe(403);
    // SigV4 in the header: not subject to the rule.
    const signed = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: "a.txt" }), {});
    expect(await signed.Body!.transformToString()).toBe("hello");
  });

  it("refuses bad rules with 15017 / 15002", async () => {
    const bucket = await newBucket("public");
    const set = (fields: Record<string, string | number | boolean | string[]>) => pythonSdk("SetUFileReferer", { BucketName: bucket, ...fields });
    expect((await set({ RefererStatus: "on", RefererType: 2, Referers: ["(unclosed"] })).RetCode).toBe(15017);
    expect((await set({ RefererStatus: "on", RefererType: 2, Referers: ["a;b"] })).RetCode).toBe(15017);
    expect((await set({ RefererStatus: "on", RefererType: 2, Referers: ["(a+)+$"] })).RetCode).toBe(15017);
    expect((await set({ RefererStatus: "on", RefererType: 3, Referers: ["x"] })).RetCode).toBe(15017);
    expect((await set({ RefererStatus: "maybe" })).RetCode).toBe(15017);
    expect((await set({ RefererStatus: "on", Referers: ["x"] })).RetCode).toBe(15002);
    expect((await set({ RefererStatus: "on", RefererType: 1 })).RetCode).toBe(15002);
    expect((await set({ RefererStatus: "on", RefererType: 1, Referers: ["x"], RefererAllowNull: "yes" })).RetCode).toBe(15017);
  });
});

describe("SetUFileCORS (edgefile extension)", () => {
  it("sets CORS rules that S3 reads back and the UFile host applies; an empty list removes them", async () => {
    const bucket = await newBucket("public");
    await putFile(bucket, "a.txt", "x");
    const rules = [{ ID: "web", AllowedOrigins: ["https://app.example.com"], AllowedMethods: ["GET"], MaxAgeSeconds: 60 }];
    expect((await pythonSdk("SetUFileCORS", { BucketName: bucket, CORSRules: JSON.stringify(rules) })).RetCode).toBe(0);
    expect((await pythonSdk("DescribeBucket", { BucketName: bucket })).DataSet[0].CORSRules).toEqual([{ ...rules[0], AllowedHeaders: [], ExposeHeaders: [] }]);
    const got = await s3Client().send(new GetBucketCorsCommand({ Bucket: bucket }));
    expect(got.CORSRules).toEqual([{ ID: "web", AllowedOrigins: ["https://app.example.com"], AllowedMethods: ["GET"], MaxAgeSeconds: 60 }]);
    const preflight = (origin: string) =>
      request({ method: "OPTIONS", host: `${bucket}.localhost:${server().port}`, path: "/a.txt", headers: { Origin: origin, "Access-Control-Request-Method": "GET" } });
    expect((await preflight("https://app.example.com")).headers["access-control-allow-origin"]).toBe("https://app.example.com");
    const refused = await preflight("https://other.example.com");
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ RetCode: -91042 });
    // Bad input: 15017; the rules stay.
    for (const bad of ["not json", "{}", JSON.stringify([{ AllowedOrigins: ["*"], AllowedMethods: ["PATCH"] }]), JSON.stringify([{ AllowedOrigins: "*" }])]) {
      expect((await pythonSdk("SetUFileCORS", { BucketName: bucket, CORSRules: bad })).RetCode, bad).toBe(15017);
    }
    expect((await pythonSdk("SetUFileCORS", { BucketName: bucket, CORSRules: "[]" })).RetCode).toBe(0);
    expect((await preflight("https://other.example.com")).headers["access-control-allow-origin"]).toBe("*");
  });
});
