// Issue 22 on the S3 front, with @aws-sdk/client-s3: lifecycle and CORS configuration, read back
// through the UFile control plane and the other way round, CORS rules deciding preflights and
// response headers on both fronts, and GetBucketLocation matching the bucket's UFile Region.
import {
  DeleteBucketCorsCommand,
  DeleteBucketLifecycleCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { control, file, newBucket, putFile, request, ROOT_KEYS, server } from "./client";
import { pythonSdk } from "./rules-ufile";
import { ROOT_ACCESS_KEY, s3Client, s3Failure, s3Path, signV4 } from "./s3-helpers";

const s3 = s3Client();
const putLifecycle = (Bucket: string, Rules: LifecycleRule[]) =>
  s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));

describe("S3 lifecycle configuration", () => {
  it("Put, Get and Delete, read back through DescribeUFileLifeCycle, and UFile's rules through S3", async () => {
    const bucket = await newBucket();
    expect(await s3Failure(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })))).toMatchObject({ name: "NoSuchLifecycleConfiguration", status: 404 });
    const logs = {
      ID: "logs",
      Filter: { Prefix: "logs/" },
      Status: "Enabled" as const,
      Transitions: [
        { Days: 30, StorageClass: "STANDARD_IA" as const },
        { Days: 90, StorageClass: "GLACIER" as const },
      ],
      Expiration: { Days: 365 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
    };
    await putLifecycle(bucket, [logs, { ID: "tmp", Filter: {}, Status: "Disabled", Expiration: { Days: 1 } }]);
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    // Read back as written; an empty filter comes back as an empty prefix.
    expect(got.Rules).toEqual([logs, { ID: "tmp", Filter: { Prefix: "" }, Status: "Disabled", Expiration: { Days: 1 } }]);
    // The same rules through the UFile control plane.
    const described = await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket });
    expect(described.DateSet).toEqual([
      { LifeCycleId: "logs", LifeCycleName: "logs", Prefix: "logs/", Status: "Enabled", Days: 365, IADays: 30, ArchivalDays: 90, BucketName: bucket },
      { LifeCycleId: "tmp", LifeCycleName: "tmp", Prefix: "*", Status: "Disabled", Days: 1, IADays: 0, ArchivalDays: 0, BucketName: bucket },
    ]);
    // A UFile update keeps the S3-only upload abort; S3 reads the change.
    const updated = await pythonSdk("UpdateUFileLifeCycle", { BucketName: bucket, LifeCycleId: "logs", LifeCycleName: "logs", Prefix: "logs/", Status: "Enabled", Days: 400 });
    expect(updated.RetCode).toBe(0);
    const again = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(again.Rules![0]).toEqual({ ID: "logs", Filter: { Prefix: "logs/" }, Status: "Enabled", Expiration: { Days: 400 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } });

    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
    expect((await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket })).DateSet).toEqual([]);
    // UFile → S3.
    const created = await pythonSdk("CreateUFileLifeCycle", { BucketName: bucket, LifeCycleName: "old", Prefix: "*", Status: "Enabled", IADays: 10 });
    const fromUFile = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(fromUFile.Rules).toEqual([{ ID: created.LifeCycleId, Filter: { Prefix: "" }, Status: "Enabled", Transitions: [{ Days: 10, StorageClass: "STANDARD_IA" }] }]);
  });

  it("refuses what it cannot keep, with a clear error, and keeps the previous rules", async () => {
    const bucket = await newBucket();
    await putLifecycle(bucket, [{ ID: "keep", Filter: { Prefix: "" }, Status: "Enabled", Expiration: { Days: 30 } }]);
    const cases: [LifecycleRule, string, number][] = [
      [{ ID: "n", Filter: { Prefix: "" }, Status: "Enabled", NoncurrentVersionExpiration: { NoncurrentDays: 3 } }, "NotImplemented", 501],
      [{ ID: "d", Filter: { Prefix: "" }, Status: "Enabled", Expiration: { Date: new Date("2030-01-01T12:00:00Z") } }, "InvalidArgument", 400],
      [{ ID: "m", Filter: { Prefix: "" }, Status: "Enabled", Expiration: { Date: new Date("2030-01-01T00:00:00Z") }, Transitions: [{ Days: 3, StorageClass: "GLACIER" }] }, "InvalidArgument", 400],
      [{ ID: "0", Filter: { Prefix: "" }, Status: "Enabled", Expiration: { Days: 0 } }, "InvalidArgument", 400],
      [{ ID: "s", Filter: { And: { ObjectSizeGreaterThan: 10, ObjectSizeLessThan: 10 } }, Status: "Enabled", Expiration: { Days: 3 } }, "InvalidArgument", 400],
      [{ ID: "a", Filter: { Tag: { Key: "k", Value: "v" } }, Status: "Enabled", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }, "InvalidArgument", 400],
      [{ ID: "k", Filter: { And: { Tags: [{ Key: "k", Value: "v" }, { Key: "k", Value: "w" }] } }, Status: "Enabled", Expiration: { Days: 3 } }, "InvalidArgument", 400],
      [{ ID: "c", Filter: { Prefix: "" }, Status: "Enabled", Transitions: [{ Days: 3, StorageClass: "DEEP_ARCHIVE" }] }, "InvalidArgument", 400],
      [{ ID: "o", Filter: { Prefix: "" }, Status: "Enabled", Transitions: [{ Days: 30, StorageClass: "STANDARD_IA" }], Expiration: { Days: 10 } }, "InvalidArgument", 400],
      [{ ID: "z", Filter: { Prefix: "" }, Status: "Enabled", Expiration: { Days: 36501 } }, "InvalidArgument", 400],
    ];
    for (const [rule, name, status] of cases) {
      expect(await s3Failure(putLifecycle(bucket, [rule])), rule.ID).toMatchObject({ name, status });
    }
    const still = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(still.Rules!.map((r) => r.ID)).toEqual(["keep"]);
  });

  it("is the root key's: a token key is refused", async () => {
    const bucket = await newBucket();
    const { body } = await control({ Action: "CreateUFileToken", TokenName: "rules", "AllowedOps.0": "TOKEN_ALLOW_WRITE", "AllowedBuckets.0": bucket, "AllowedPrefixes.0": "*" });
    const token = s3Client({ key: { accessKeyId: body.UFileTokenSet.PublicKey, secretAccessKey: body.UFileTokenSet.PrivateKey } });
    expect(await s3Failure(token.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [{ ID: "x", Filter: { Prefix: "" }, Status: "Enabled", Expiration: { Days: 1 } }] } })))).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(await s3Failure(token.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ["*"], AllowedMethods: ["GET"] }] } })))).toMatchObject({ name: "AccessDenied", status: 403 });
  });
});

describe("CORS rules", () => {
  const preflight = (host: string, path: string, origin: string, method: string, headers?: string) =>
    request({
      method: "OPTIONS",
      host,
      path,
      headers: { Origin: origin, "Access-Control-Request-Method": method, ...(headers ? { "Access-Control-Request-Headers": headers } : {}) },
    });

  it("PutBucketCors decides preflights and response headers on the S3 front and the UFile host", async () => {
    const bucket = await newBucket("public");
    await putFile(bucket, "a.txt", "hello");
    const { port } = server();
    const s3Host = `127.0.0.1:${port}`;
    const ufileHost = `${bucket}.localhost:${port}`;
    // Without rules: today's permissive answers.
    expect((await preflight(s3Host, `/${bucket}/a.txt`, "https://any.example", "DELETE")).headers["access-control-allow-origin"]).toBe("*");
    expect(await s3Failure(s3.send(new GetBucketCorsCommand({ Bucket: bucket })))).toMatchObject({ name: "NoSuchCORSConfiguration", status: 404 });

    await s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            { ID: "app", AllowedOrigins: ["https://*.example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["x-amz-*", "content-type"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 600 },
          ],
        },
      }),
    );
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    expect(got.CORSRules).toEqual([
      { ID: "app", AllowedOrigins: ["https://*.example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["x-amz-*", "content-type"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 600 },
    ]);
    // DescribeBucket shows them too.
    expect((await pythonSdk("DescribeBucket", { BucketName: bucket })).DataSet[0].CORSRules).toEqual([
      { ID: "app", AllowedOrigins: ["https://*.example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["x-amz-*", "content-type"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 600 },
    ]);

    for (const [host, path] of [
      [s3Host, `/${bucket}/a.txt`],
      [ufileHost, "/a.txt"],
    ]) {
      const ok = await preflight(host, path, "https://app.example.com", "PUT", "Content-Type, X-Amz-Date");
      expect(ok.status, host).toBe(200);
      expect(ok.headers).toMatchObject({
        "access-control-allow-origin": "https://app.example.com",
        "access-control-allow-methods": "GET, PUT",
        "access-control-allow-headers": "content-type, x-amz-date",
        "access-control-expose-headers": "ETag",
        "access-control-max-age": "600",
      });
      expect((await preflight(host, path, "https://evil.example.net", "GET")).status, host).toBe(403);
      expect((await preflight(host, path, "https://app.example.com", "DELETE")).status, host).toBe(403);
      expect((await preflight(host, path, "https://app.example.com", "PUT", "x-custom")).status, host).toBe(403);
    }
    // Actual responses: the matching rule's headers, none for another origin.
    const s3Get = (origin: string) => request({ host: s3Host, path: `/${bucket}/a.txt`, headers: { Origin: origin } });
    const allowed = await s3Get("https://app.example.com");
    expect(allowed.status).toBe(200);
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(allowed.headers["access-control-expose-headers"]).toBe("ETag");
    expect((await s3Get("https://evil.example.net")).headers["access-control-allow-origin"]).toBeUndefined();
    const ufileGet = await file(bucket, "a.txt", { auth: "none", headers: { Origin: "https://app.example.com" } });
    expect(ufileGet.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect((await file(bucket, "a.txt", { auth: "none", headers: { Origin: "https://evil.example.net" } })).headers["access-control-allow-origin"]).toBeUndefined();

    await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    expect((await preflight(s3Host, `/${bucket}/a.txt`, "https://evil.example.net", "DELETE")).headers["access-control-allow-origin"]).toBe("*");
  });

  it("with rules, error answers of the bucket follow them too, on both fronts; without rules they stay permissive", async () => {
    const bucket = await newBucket(); // private: anonymous reads are refused
    await putFile(bucket, "a.txt", "hello");
    const { port } = server();
    const s3Host = `127.0.0.1:${port}`;
    const APP = "https://app.example.com";
    const EVIL = "https://evil.example.net";
    // Error answers of each kind, each sent with an Origin: refused anonymous reads (403), a missing key
    // (404), a signature that does not match (403, refused before the bucket is read), a method the
    // resource does not take (405).
    const errors: [string, (origin: string) => ReturnType<typeof request>, number][] = [
      ["S3 anonymous", (Origin) => request({ host: s3Host, path: s3Path(bucket, "a.txt"), headers: { Origin } }), 403],
      ["S3 missing key", (Origin) => request(signV4({ method: "GET", path: s3Path(bucket, "nope.txt"), headers: { Origin } })), 404],
      ["S3 bad signature", (Origin) => request(signV4({ method: "GET", path: s3Path(bucket, "a.txt"), headers: { Origin } }, { key: { ...ROOT_ACCESS_KEY, secretAccessKey: "wrong" } })), 403],
      ["S3 object ?cors", (Origin) => request(signV4({ method: "GET", path: `${s3Path(bucket, "a.txt")}?cors`, headers: { Origin } })), 405],
      ["UFile anonymous", (Origin) => file(bucket, "a.txt", { auth: "none", headers: { Origin } }), 403],
      ["UFile missing key", (Origin) => file(bucket, "nope.txt", { headers: { Origin } }), 404],
      ["UFile bad signature", (Origin) => file(bucket, "a.txt", { headers: { Origin }, sign: { keys: { ...ROOT_KEYS, privateKey: "wrong" } } }), 403],
    ];
    // Without rules: today's permissive headers on every error.
    for (const [what, send, status] of errors) {
      const res = await send(EVIL);
      expect(res.status, what).toBe(status);
      expect(res.headers["access-control-allow-origin"], what).toBe("*");
    }
    await s3.send(
      new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: [APP], AllowedMethods: ["GET"], ExposeHeaders: ["x-amz-request-id"] }] } }),
    );
    // With rules: the matching rule's headers for its origin, none for another, whatever the status.
    for (const [what, send, status] of errors) {
      const allowed = await send(APP);
      expect(allowed.status, what).toBe(status);
      expect(allowed.headers["access-control-allow-origin"], what).toBe(APP);
      expect(allowed.headers["access-control-expose-headers"], what).toBe("x-amz-request-id");
      const refused = await send(EVIL);
      expect(refused.status, what).toBe(status);
      expect(refused.headers["access-control-allow-origin"], what).toBeUndefined();
      expect(refused.headers["access-control-expose-headers"], what).toBeUndefined();
    }
  });

  it("refuses rules S3 refuses", async () => {
    const bucket = await newBucket();
    const put = (rule: { AllowedOrigins: string[]; AllowedMethods: string[]; ExposeHeaders?: string[] }) =>
      s3Failure(s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [rule] } })));
    expect(await put({ AllowedOrigins: ["*"], AllowedMethods: ["PATCH"] })).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect(await put({ AllowedOrigins: ["https://*.*.example"], AllowedMethods: ["GET"] })).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect(await put({ AllowedOrigins: ["*"], AllowedMethods: ["GET"], ExposeHeaders: ["*"] })).toMatchObject({ name: "InvalidArgument", status: 400 });
  });
});

describe("GetBucketLocation", () => {
  it("answers the bucket's UFile Region", async () => {
    const bucket = await newBucket();
    const region = (await pythonSdk("DescribeBucket", { BucketName: bucket })).DataSet[0].Region;
    expect(region).toBe("cn-bj");
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint).toBe(region);
  });
});

describe("a bucket's sub-resources on an object key", () => {
  it("are refused with 405 MethodNotAllowed, never answered with the object's bytes", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "a.txt", "the object's bytes");
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ["*"], AllowedMethods: ["GET"] }] } }));
    for (const sub of ["cors", "lifecycle", "location", "uploads", "versions"]) {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const res = await request(signV4({ method, path: `${s3Path(bucket, "a.txt")}?${sub}` }));
        expect(res.status, `${method} ?${sub}`).toBe(405);
        expect(res.text(), `${method} ?${sub}`).toContain("<Code>MethodNotAllowed</Code>");
        expect(res.text()).not.toContain("the object's bytes");
      }
    }
    // Nothing changed: the object, and the bucket's CORS rules (a DELETE ?cors on the key removed nothing).
    expect((await file(bucket, "a.txt")).text()).toBe("the object's bytes");
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules).toHaveLength(1);
  });
});
