import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isValidBucketName } from "../src/core/buckets";
import { Params, readParams } from "../src/control/params";
import { API, PRIVATE_KEY, PUBLIC_KEY, call, callWithEnv, control, controlSignatureOf as controlSignature, file, newBucket, put, signControl, toQuery, uniqueName } from "./helpers";


const sign = (entries: Record<string, string | number>) =>
  controlSignature(new Params(new Map(Object.entries(entries))), PRIVATE_KEY);

describe("control-plane signature (docs/protocol.md §3.3 vectors)", () => {
  it("DescribeUHostInstance example", async () => {
    expect(await sign({ Action: "DescribeUHostInstance", Region: "cn-bj2", Limit: 10, PublicKey: PUBLIC_KEY })).toBe(
      "cba5cf5ec4d4233d206b1b54951e3787350a642f",
    );
  });
  it("CreateBucket example", async () => {
    expect(await sign({ Action: "CreateBucket", BucketName: "blue", Type: "public", Region: "cn-bj", PublicKey: PUBLIC_KEY })).toBe(
      "b9fff8abb17147a6ee1b1d4e9347e9e2d1c09089",
    );
  });
  const host = {
    Action: "CreateUHostInstance", CPU: 2, ChargeType: "Month", DiskSpace: 10, ImageId: "f43736e1-65a5-4bea-ad2e-8a46e18883c2",
    LoginMode: "Password", Memory: 2048, Name: "Host01", Password: "VUNsb3VkLmNu", Quantity: 1, Region: "cn-bj2", Zone: "cn-bj2-04",
    PublicKey: PUBLIC_KEY,
  };
  it("CreateUHostInstance (Go/Python SDK test)", async () => {
    expect(await sign(host)).toBe("4f9ef5df2abab2c6fccd1e9515cb7e2df8c6bb65");
  });
  it("with SecurityToken", async () => {
    expect(await sign({ ...host, SecurityToken: "some_stoken" })).toBe("170c480ad176a247b324eb92a2cfe536aacfbd04");
  });
  it("long array sorts in byte order (Backends.10 before Backends.2)", async () => {
    const p: Record<string, string> = { Action: "AllocateBackendBatch", PublicKey: PUBLIC_KEY };
    for (let i = 0; i < 12; i++) p[`Backends.${i}`] = ["foo", "bar", "42"][i % 3];
    expect(await sign(p)).toBe("6bc32642779f8cb0bb3d3f128b1c0688abf9a1a3");
  });
  it("JSON values are encoded as the SDKs encode them", async () => {
    const p = new Params(new Map<string, any>([["A", true], ["B", 42.0], ["C", ["x", "y"]], ["D", { b: 1, a: "z" }]]));
    const expected = await controlSignature(new Params(new Map([["A", "true"], ["B", "42"], ["C", "xy"], ["D", "azb1"]])), "k");
    expect(await controlSignature(p, "k")).toBe(expected);
  });
});

describe("transports (docs/protocol.md §3.1)", () => {
  it("GET with a query string", async () => {
    const name = uniqueName();
    const { res, body } = await control({ Action: "CreateBucket", BucketName: name });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    expect(body).toMatchObject({ RetCode: 0, Action: "CreateBucketResponse", Message: "", BucketName: name });
  });
  it("POST form body (ucloud-sdk-python3)", async () => {
    const name = uniqueName();
    const res = await call(`${API}/`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "U-Timestamp-Ms": "1700000000000" },
      body: toQuery(await signControl({ Action: "CreateBucket", BucketName: name, Region: "cn-sh2", ProjectId: "org-form" })),
    });
    const body = await res.json() as any;
    expect(body.RetCode).toBe(0);
    const { body: d } = await control({ Action: "DescribeBucket", BucketName: name, ProjectId: "org-form" });
    expect(d.DataSet[0].Region).toBe("cn-sh2");
  });
  it("POST JSON body with typed values", async () => {
    const name = uniqueName();
    await control({ Action: "CreateBucket", BucketName: name });
    const res = await call(`${API}/any/path`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(await signControl({ Action: "DescribeBucket", BucketName: name, Offset: 0, Limit: 10 })),
    });
    const body = await res.json() as any;
    expect(body.RetCode).toBe(0);
    expect(body.DataSet[0].BucketName).toBe(name);
  });
  it("POST form with ?Action= in the URL too (ucloud-sdk-go)", async () => {
    const name = uniqueName();
    const params = await signControl({ Action: "CreateBucket", BucketName: name, Type: "public" });
    const res = await call(`${API}/?Action=CreateBucket`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: toQuery(params),
    });
    expect((await res.json() as any).RetCode).toBe(0);
  });
  it("form pairs: empty ones skipped, no `=` an empty value, the first `=` splits, `+` and escapes decoded, a bad escape kept as sent", async () => {
    const form = "&a=1&&b&=c&d=e=f&x+y=%41+%zz&m=%41&a=2&k";
    const expected = [["a", "2"], ["b", ""], ["", "c"], ["d", "e=f"], ["x y", "%41 %zz"], ["m", "A"], ["k", ""]];
    const url = new URL(`${API}/?${form}`);
    expect([...(await readParams(new Request(url), url)).raw]).toEqual(expected);
    const post = new Request(`${API}/`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form });
    expect([...(await readParams(post, new URL(post.url))).raw]).toEqual(expected);
  });
  it("a percent-encoded PublicKey is decoded before signing (Go test vector style)", async () => {
    const params = await signControl({ Action: "DescribeBucket", Limit: 1 });
    const query = Object.entries(params)
      .map(([k, v]) => `${k}=${k === "PublicKey" ? String(v).replace("@", "%40") : encodeURIComponent(String(v))}`)
      .join("&");
    expect((await (await call(`${API}/?${query}`)).json() as any).RetCode).toBe(0);
  });
});

describe("gateway errors", () => {
  const get = async (query: string) => {
    const res = await call(`${API}/?${query}`);
    expect(res.status).toBe(200);
    return res.json() as any;
  };
  it("160 for an empty Action", async () => {
    expect((await get("Action=")).RetCode).toBe(160);
  });
  it("161 for an unknown Action", async () => {
    const body = await get(toQuery(await signControl({ Action: "LaunchRocket" })));
    expect(body).toMatchObject({ RetCode: 161, Action: "LaunchRocketResponse" });
  });
  it("170 without a signature", async () => {
    expect((await get(`Action=DescribeBucket&PublicKey=${encodeURIComponent(PUBLIC_KEY)}`)).RetCode).toBe(170);
  });
  it("171 for a wrong signature", async () => {
    const p = await signControl({ Action: "DescribeBucket" });
    p.Signature = "0".repeat(40);
    expect((await get(toQuery(p))).RetCode).toBe(171);
  });
  it("171 when a signed parameter was altered", async () => {
    const p = await signControl({ Action: "DescribeBucket", Limit: 5 });
    p.Limit = 6;
    expect((await get(toQuery(p))).RetCode).toBe(171);
  });
  it("172 for an unknown public key", async () => {
    const body = await get(toQuery(await signControl({ Action: "DescribeBucket" }, { publicKey: "someone-else", privateKey: "x" })));
    expect(body.RetCode).toBe(172);
  });
  it("a deployment without root keys refuses signed calls with a clear error", async () => {
    const res = await callWithEnv({ ROOT_PUBLIC_KEY: undefined, ROOT_PRIVATE_KEY: undefined }, `${API}/?${toQuery(await signControl({ Action: "DescribeBucket" }))}`);
    const body = await res.json() as any;
    expect(body.RetCode).toBe(15004);
    expect(body.Message).toContain("ROOT_PUBLIC_KEY");
  });
});

describe("bucket names (spec 000 §1)", () => {
  it.each(["abc", "a-b.c-d", "0day", "a".repeat(63), "my.bucket.example", "1.2.3.a"])("accepts %s", (name) => {
    expect(isValidBucketName(name)).toBe(true);
  });
  it.each(["ab", "a".repeat(64), "Abc", "-abc", "abc-", "a..b", ".abc", "abc.", "a_b", "ab c", "192.168.1.1", "a.-b", "ä-bucket"])(
    "rejects %s",
    (name) => expect(isValidBucketName(name)).toBe(false),
  );
  it("CreateBucket answers 15001 for a bad name", async () => {
    expect((await control({ Action: "CreateBucket", BucketName: "Bad_Name" })).body.RetCode).toBe(15001);
    expect((await control({ Action: "CreateBucket", BucketName: "10.0.0.1" })).body.RetCode).toBe(15001);
  });
});

describe("CreateBucket", () => {
  it("15002 without BucketName", async () => {
    expect((await control({ Action: "CreateBucket" })).body.RetCode).toBe(15002);
  });
  it("15003 for a bad Type", async () => {
    expect((await control({ Action: "CreateBucket", BucketName: uniqueName(), Type: "secret" })).body.RetCode).toBe(15003);
  });
  it("defaults to private and the configured region", async () => {
    const name = uniqueName();
    await control({ Action: "CreateBucket", BucketName: name });
    const { body } = await control({ Action: "DescribeBucket", BucketName: name });
    expect(body.DataSet[0]).toMatchObject({ Type: "private", Region: "cn-bj", Biz: "general" });
  });
  it("15000 when the name is taken, also by another project", async () => {
    const name = uniqueName();
    expect((await control({ Action: "CreateBucket", BucketName: name })).body.RetCode).toBe(0);
    expect((await control({ Action: "CreateBucket", BucketName: name })).body.RetCode).toBe(15000);
    expect((await control({ Action: "CreateBucket", BucketName: name, ProjectId: "org-other" })).body.RetCode).toBe(15000);
  });
  it("ten concurrent creates of one name leave exactly one bucket", async () => {
    const name = uniqueName("race");
    const results = await Promise.all(Array.from({ length: 10 }, () => control({ Action: "CreateBucket", BucketName: name })));
    const codes = results.map((r) => r.body.RetCode).sort();
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    expect(codes.filter((c) => c === 15000)).toHaveLength(9);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM buckets WHERE name = ?").bind(name).first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});

describe("DescribeBucket", () => {
  it("returns the full UFileBucketSet with the right types", async () => {
    const name = uniqueName();
    const created = (await control({ Action: "CreateBucket", BucketName: name, Type: "public" })).body;
    const { body } = await control({ Action: "DescribeBucket", BucketName: name });
    expect(body.DataSet).toHaveLength(1);
    const b = body.DataSet[0];
    expect(b).toEqual({
      BucketName: name,
      BucketId: created.BucketId,
      Domain: { Src: [`${name}.localhost`], Cdn: [], CustomSrc: [], CustomCdn: [] },
      CdnDomainId: [],
      Type: "public",
      CreateTime: expect.any(Number),
      ModifyTime: expect.any(Number),
      Biz: "general",
      Region: "cn-bj",
      Tag: "",
      HasUserDomain: 0,
      StoredBytes: 0,
      StoredBytesByClass: { STANDARD: 0, IA: 0, ARCHIVE: 0 },
      ObjectCount: 0,
      Referer: { RefererStatus: "off" },
      CORSRules: [],
    });
    expect(Math.abs(b.CreateTime - Date.now() / 1000)).toBeLessThan(60);
  });
  it("StoredBytes and ObjectCount follow puts, overwrites, copies, renames and deletes", async () => {
    const name = await newBucket();
    const totals = async () => {
      const b = (await control({ Action: "DescribeBucket", BucketName: name })).body.DataSet[0];
      return [b.StoredBytes, b.ObjectCount];
    };
    await put(name, "a.txt", "hello");
    await put(name, "dir/b.txt", "ufile!!");
    expect(await totals()).toEqual([12, 2]);
    await put(name, "a.txt", "hi");
    expect(await totals()).toEqual([9, 2]);
    await file(name, "c.txt", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${name}/a.txt` } });
    expect(await totals()).toEqual([11, 3]);
    await file(name, "c.txt", { method: "PUT", query: "newFileName=dir/b.txt&force=true" });
    expect(await totals()).toEqual([4, 2]);
    expect((await file(name, "a.txt", { method: "DELETE" })).status).toBe(204);
    expect(await totals()).toEqual([2, 1]);
    // The listing view of all buckets carries the same figures.
    const all = (await control({ Action: "DescribeBucket", Limit: 1000 })).body.DataSet as Record<string, unknown>[];
    expect(all.find((b) => b.BucketName === name)).toMatchObject({ StoredBytes: 2, ObjectCount: 1 });
  });
  it("accepts Name as an alias", async () => {
    const name = uniqueName();
    await control({ Action: "CreateBucket", BucketName: name });
    expect((await control({ Action: "DescribeBucket", Name: name })).body.DataSet[0].BucketName).toBe(name);
  });
  it("15010 for an unknown bucket, and for a bucket of another project", async () => {
    expect((await control({ Action: "DescribeBucket", BucketName: uniqueName() })).body.RetCode).toBe(15010);
    const name = uniqueName();
    await control({ Action: "CreateBucket", BucketName: name, ProjectId: "org-a" });
    expect((await control({ Action: "DescribeBucket", BucketName: name, ProjectId: "org-b" })).body.RetCode).toBe(15010);
  });
  it("lists a project's buckets with Offset/Limit (default 0/20)", async () => {
    const project = uniqueName("org");
    const names = Array.from({ length: 23 }, (_, i) => `${project}-${String(i).padStart(2, "0")}`);
    for (const name of names) await control({ Action: "CreateBucket", BucketName: name, ProjectId: project });
    const all = (await control({ Action: "DescribeBucket", ProjectId: project })).body.DataSet.map((b: any) => b.BucketName);
    expect(all).toHaveLength(20);
    const page = (await control({ Action: "DescribeBucket", ProjectId: project, Offset: 20, Limit: 10 })).body.DataSet;
    expect(page).toHaveLength(3);
    expect(new Set([...all, ...page.map((b: any) => b.BucketName)])).toEqual(new Set(names));
    expect((await control({ Action: "DescribeBucket", ProjectId: project, Limit: "x" })).body.RetCode).toBe(15017);
    expect((await control({ Action: "DescribeBucket", ProjectId: project, Offset: -1 })).body.RetCode).toBe(15018);
  });
});

describe("UpdateBucket", () => {
  it("changes Type and ModifyTime", async () => {
    const name = uniqueName();
    const { body: created } = await control({ Action: "CreateBucket", BucketName: name });
    const { body } = await control({ Action: "UpdateBucket", BucketName: name, Type: "public" });
    expect(body).toMatchObject({ RetCode: 0, Action: "UpdateBucketResponse", BucketName: name, BucketId: created.BucketId });
    expect((await control({ Action: "DescribeBucket", BucketName: name })).body.DataSet[0].Type).toBe("public");
  });
  it("requires BucketName and Type, validates Type, 15010 for unknown", async () => {
    const name = uniqueName();
    await control({ Action: "CreateBucket", BucketName: name });
    expect((await control({ Action: "UpdateBucket", Type: "public" })).body.RetCode).toBe(15002);
    expect((await control({ Action: "UpdateBucket", BucketName: name })).body.RetCode).toBe(15002);
    expect((await control({ Action: "UpdateBucket", BucketName: name, Type: "open" })).body.RetCode).toBe(15003);
    expect((await control({ Action: "UpdateBucket", BucketName: uniqueName(), Type: "public" })).body.RetCode).toBe(15010);
  });
});

describe("DeleteBucket", () => {
  it("deletes an empty bucket; the name is free again", async () => {
    const name = uniqueName();
    const { body: created } = await control({ Action: "CreateBucket", BucketName: name });
    const { body } = await control({ Action: "DeleteBucket", BucketName: name });
    expect(body).toMatchObject({ RetCode: 0, BucketName: name, BucketId: created.BucketId });
    expect((await control({ Action: "DescribeBucket", BucketName: name })).body.RetCode).toBe(15010);
    expect((await control({ Action: "DeleteBucket", BucketName: name })).body.RetCode).toBe(15010);
    expect((await control({ Action: "CreateBucket", BucketName: name })).body.RetCode).toBe(0);
  });
  it("15002 without a name", async () => {
    expect((await control({ Action: "DeleteBucket" })).body.RetCode).toBe(15002);
  });
  it("15023 while the bucket holds a file; deletable once it is empty", async () => {
    const name = uniqueName();
    await control({ Action: "CreateBucket", BucketName: name });
    await put(name, "only-file.txt", "x");
    expect((await control({ Action: "DeleteBucket", BucketName: name })).body.RetCode).toBe(15023);
    expect(await (await file(name, "only-file.txt")).text()).toBe("x");
    expect((await file(name, "only-file.txt", { method: "DELETE" })).status).toBe(204);
    expect((await control({ Action: "DeleteBucket", BucketName: name })).body.RetCode).toBe(0);
  });
  it("15014 for a bucket younger than the configured minimum age", async () => {
    const name = uniqueName();
    await control({ Action: "CreateBucket", BucketName: name });
    const url = `${API}/?${toQuery(await signControl({ Action: "DeleteBucket", BucketName: name }))}`;
    const body = await (await callWithEnv({ BUCKET_MIN_AGE_SECONDS: "1200" }, url)).json() as any;
    expect(body.RetCode).toBe(15014);
    expect((await control({ Action: "DescribeBucket", BucketName: name })).body.RetCode).toBe(0);
  });
  it("15010 for a bucket of another project", async () => {
    const name = uniqueName();
    await control({ Action: "CreateBucket", BucketName: name, ProjectId: "org-owner" });
    expect((await control({ Action: "DeleteBucket", BucketName: name, ProjectId: "org-thief" })).body.RetCode).toBe(15010);
    expect((await control({ Action: "DescribeBucket", BucketName: name, ProjectId: "org-owner" })).body.RetCode).toBe(0);
  });
});

describe("dispatch and common headers", () => {
  it("every response carries X-SessionId, x-bce-request-id and x-bce-debug-id", async () => {
    const responses = [
      await call(`${API}/?${toQuery(await signControl({ Action: "DescribeBucket" }))}`),
      await call(`${API}/?Action=`),
      await call("http://localhost/"),
      await call("http://nobucket-here.localhost/key"),
    ];
    for (const res of responses) {
      const session = res.headers.get("X-SessionId");
      expect(session).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get("x-bce-request-id")).toBe(session);
      expect(res.headers.get("x-bce-debug-id")).toBeTruthy();
      // These clients accept no compression, so nothing is added to Cache-Control (src/responses.ts).
      expect(res.headers.get("Cache-Control")).toBeNull();
    }
    expect(responses[0].headers.get("X-SessionId")).not.toBe(responses[1].headers.get("X-SessionId"));
    // A client that accepts gzip gets the answer marked so that no edge compresses it.
    const gzip = await call(`${API}/?${toQuery(await signControl({ Action: "DescribeBucket" }))}`, { headers: { "Accept-Encoding": "gzip" } });
    expect(gzip.headers.get("Cache-Control")).toBe("no-transform");
  });
  it("a JSON answer's Content-Length is its UTF-8 byte count, ASCII or not, short or long", async () => {
    // Short answers go out as text, long ones (past 4 KiB of JSON) encoded: both ways exact.
    for (const action of ["NoSuchAction", "列出桶", "x".repeat(5000), "桶".repeat(2000)]) {
      const res = await call(`${API}/?Action=${encodeURIComponent(action)}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(res.headers.get("Content-Type")).toBe("application/json");
      expect(res.headers.get("Content-Length")).toBe(String(bytes.byteLength));
      expect(JSON.parse(new TextDecoder().decode(bytes))).toMatchObject({ Action: `${action}Response`, Message: `Action does not exist: ${action}` });
    }
  });
  it("a request without Action to a host that names no bucket is S3 path style (docs/s3.md), with S3's XML error", async () => {
    const res = await call("http://localhost:8787/some-missing-bucket/key");
    expect(res.status).toBe(404);
    expect(res.headers.get("Content-Type")).toBe("application/xml");
    const body = await res.text();
    expect(body).toContain("<Code>NoSuchBucket</Code>");
    expect(body).toContain("<Resource>/some-missing-bucket/key</Resource>");
  });
});
