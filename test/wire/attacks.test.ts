/**
 * Regression tests for the attacks of issue 10, and the token rules it made enforced
 * (TOKEN_DENY_UPDATE, IP lists) and the freshness of signed Dates, all over real HTTP.
 */
import { describe, expect, it } from "vitest";
import {
  ALL_RIGHTS,
  authorization,
  control,
  createToken,
  file,
  newBucket,
  partEtag,
  presignedQuery,
  putFile,
  request,
  server,
  signControl,
  toQuery,
  uniqueName,
  ufileEtag,
  type Keys,
  type WireResponse,
} from "./client";

const now = () => Math.floor(Date.now() / 1000);


function expectDataError(res: WireResponse, status: number, code: number): string {
  expect(res.status, res.text()).toBe(status);
  expect(res.headers["content-type"]).toBe("application/json");
  const body = res.json();
  expect(body.RetCode).toBe(code);
  return body.ErrMsg as string;
}

/** A presigned PutFile URL for `key`, as an app hands it to a browser, with extra query text appended. */
function presignedPut(bucket: string, key: string, extraQuery = "", keys?: Keys): string {
  const q = presignedQuery("PUT", bucket, key, now() + 600, keys ? { keys } : {});
  return `/${encodeURIComponent(key)}?${q}${extraQuery}`;
}

const host = (bucket: string) => `${bucket}.localhost:${server().port}`;

describe("a presigned upload URL authorizes only that upload", () => {
  it("cannot copy a private object (of this or another project) into the public bucket", async () => {
    const pub = await newBucket("public");
    const secretBucket = await newBucket("private");
    await putFile(secretBucket, "secret.txt", "the secret");
    const { body: other } = await control({ Action: "CreateBucket", BucketName: uniqueName("other"), Type: "private", ProjectId: "org-other" });
    expect(other.RetCode).toBe(0);
    await putFile(other.BucketName, "secret.txt", "another project's secret");

    for (const source of [`/${secretBucket}/secret.txt`, `/${other.BucketName}/secret.txt`]) {
      const res = await request({ method: "PUT", host: host(pub), path: presignedPut(pub, "upload.txt"), headers: { "X-Ufile-Copy-Source": source }, body: "" });
      expect(expectDataError(res, 403, -90016)).toMatch(/presigned|Authorization header/);
    }
    const leak = await request({ host: host(pub), path: "/upload.txt" });
    expect(leak.status).toBe(404);
    expect(leak.text()).not.toContain("secret");
  });

  it("cannot rename over a victim or switch a storage class through query parameters", async () => {
    const pub = await newBucket("public");
    await putFile(pub, "victim.txt", "victim", "text/plain");
    await putFile(pub, "upload.txt", "mine", "text/plain");
    const rename = await request({ method: "PUT", host: host(pub), path: presignedPut(pub, "upload.txt", "&newFileName=victim.txt&force=true"), body: "" });
    expectDataError(rename, 403, -90016);
    const archive = await request({ method: "PUT", host: host(pub), path: presignedPut(pub, "victim.txt", "&storageClass=ARCHIVE"), body: "" });
    expectDataError(archive, 403, -90016);
    const victim = await request({ host: host(pub), path: "/victim.txt" });
    expect(victim.status).toBe(200);
    expect(victim.text()).toBe("victim");
  });

  it("a write-only token's presigned URL cannot switch a class either, but still uploads", async () => {
    const pub = await newBucket("public");
    await putFile(pub, "victim.txt", "victim");
    const writer = await createToken({ "AllowedOps.0": "TOKEN_ALLOW_WRITE" });
    const archive = await request({ method: "PUT", host: host(pub), path: presignedPut(pub, "victim.txt", "&storageClass=ARCHIVE", writer), body: "" });
    expectDataError(archive, 403, -90016);
    expect((await file(pub, "victim.txt", { method: "HEAD" })).headers["x-ufile-storage-class"]).toBe("STANDARD");
    const upload = await request({ method: "PUT", host: host(pub), path: presignedPut(pub, "up.txt", "", writer), body: "fine" });
    expect(upload.status, upload.text()).toBe(200);
  });

  it("operation headers the signature does not cover are refused, even on allowed operations", async () => {
    const bucket = await newBucket("private");
    const res = await request({
      method: "PUT",
      host: host(bucket),
      path: presignedPut(bucket, "meta.txt"),
      headers: { "X-Ufile-Metadata-Directive": "REPLACE" },
      body: "x",
    });
    expect(expectDataError(res, 403, -90016)).toContain("X-Ufile-Metadata-Directive");
  });
});

describe("bounded before authentication, and every control-plane failure in its envelope", () => {
  it("a chunked JSON body larger than 1 MiB is not read whole: data plane answers, control plane says why", async () => {
    const big = "{\"Pad\":\"" + "x".repeat(3 * 1024 * 1024) + "\"}";
    const data = await request({ method: "POST", host: `api.localhost:${server().port}`, path: "/", headers: { "Content-Type": "application/json" }, body: big, chunked: true });
    expectDataError(data, 404, -30010);
    const ctl = await request({ method: "POST", host: `api.localhost:${server().port}`, path: "/?Action=DescribeBucket", headers: { "Content-Type": "application/json" }, body: big, chunked: true });
    expect(ctl.status).toBe(200);
    expect(ctl.json()).toMatchObject({ RetCode: 15017, Action: "DescribeBucketResponse" });
    expect(ctl.json().Message).toMatch(/at most 1048576 bytes/);
  });

  it("deeply nested JSON gets 15017 in the control envelope, not a 500", async () => {
    const deep = `{"Action":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const res = await request({ method: "POST", host: `api.localhost:${server().port}`, path: "/", headers: { "Content-Type": "application/json" }, body: deep });
    expect(res.status).toBe(200);
    expect(res.json().RetCode).toBe(15017);
    expect(res.json().Message).toMatch(/nest/);
  });

  it("an out-of-range integer is 15018 before any SQL", async () => {
    const { res, body } = await control({ Action: "DescribeBucket", Offset: "99999999999999999999" });
    expect(res.status).toBe(200);
    expect(body.RetCode).toBe(15018);
  });

  it("a form-encoded parameter body over the bound is 15017 too", async () => {
    const params = signControl({ Action: "DescribeBucket" });
    const res = await request({
      method: "POST",
      host: `api.localhost:${server().port}`,
      path: "/",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `${toQuery(params)}&Pad=${"y".repeat(1024 * 1024)}`,
      chunked: true,
    });
    expect(res.status).toBe(200);
    expect(res.json().RetCode).toBe(15017);
  });
});

describe("TOKEN_DENY_UPDATE: a token that may create keys but never replace one", () => {
  it("refuses every write that would replace an existing key with 403 -90008, and keeps the old bytes", async () => {
    const bucket = await newBucket("private");
    const token = await createToken({ ...ALL_RIGHTS, "AllowedOps.4": "TOKEN_DENY_UPDATE" });
    const keys = { keys: token };
    await putFile(bucket, "taken.txt", "original", "text/plain");
    await putFile(bucket, "src.txt", "source bytes", "text/plain");

    const put = await file(bucket, "taken.txt", { method: "PUT", body: "overwrite", headers: { "Content-Type": "text/plain" }, sign: keys });
    expect(expectDataError(put, 403, -90008)).toContain("TOKEN_DENY_UPDATE");
    const copy = await file(bucket, "taken.txt", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${bucket}/src.txt` }, sign: keys });
    expectDataError(copy, 403, -90008);
    const rename = await file(bucket, "src.txt", { method: "PUT", query: "newFileName=taken.txt&force=true", sign: keys });
    expectDataError(rename, 403, -90008);
    const hit = await file(bucket, "uploadhit", {
      method: "POST",
      query: `Hash=${ufileEtag(Buffer.from("source bytes"))}&FileName=taken.txt&FileSize=12`,
      signedKey: "taken.txt",
      sign: keys,
    });
    expectDataError(hit, 403, -90008);

    const init = await file(bucket, "taken.txt", { method: "POST", query: "uploads", sign: keys });
    expect(init.status).toBe(200);
    const id = init.json().UploadId;
    expect((await file(bucket, "taken.txt", { method: "PUT", query: `uploadId=${id}&partNumber=0`, body: "part", sign: keys })).status).toBe(200);
    const finish = await file(bucket, "taken.txt", { method: "POST", query: `uploadId=${id}`, body: partEtag(Buffer.from("part")), sign: keys });
    expectDataError(finish, 403, -90008);

    const B = "deny-update-b";
    const formAuth = authorization("POST", bucket, "taken.txt", { contentType: "text/plain", keys: token });
    const form =
      `--${B}\r\nContent-Disposition: form-data; name="Authorization"\r\n\r\n${formAuth}\r\n` +
      `--${B}\r\nContent-Disposition: form-data; name="FileName"\r\n\r\ntaken.txt\r\n` +
      `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\nContent-Type: text/plain\r\n\r\nform overwrite\r\n--${B}--\r\n`;
    const post = await request({ method: "POST", host: host(bucket), path: "/", headers: { "Content-Type": `multipart/form-data; boundary=${B}` }, body: form });
    expectDataError(post, 403, -90008);

    const still = await file(bucket, "taken.txt");
    expect(still.text()).toBe("original");
    expect((await file(bucket, "src.txt")).status).toBe(200); // the refused rename moved nothing

    // Creating new keys is what such a token is for.
    expect((await file(bucket, "fresh.txt", { method: "PUT", body: "new", sign: keys })).status).toBe(200);
    expect((await file(bucket, "fresh-copy.txt", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${bucket}/src.txt` }, sign: keys })).status).toBe(200);
    expect((await file(bucket, "src.txt", { method: "PUT", query: "newFileName=moved.txt", sign: keys })).status).toBe(200);
  });

  it("a rename onto a taken key without force is still -90009 for such a token", async () => {
    const bucket = await newBucket("private");
    const token = await createToken({ ...ALL_RIGHTS, "AllowedOps.4": "TOKEN_DENY_UPDATE" });
    await putFile(bucket, "a.txt", "a");
    await putFile(bucket, "b.txt", "b");
    expectDataError(await file(bucket, "a.txt", { method: "PUT", query: "newFileName=b.txt", sign: { keys: token } }), 409, -90009);
  });
});

describe("token IP lists apply to the client address", () => {
  it("a WhiteIPList holding the client admits it; a BlackIPList block refuses it", async () => {
    const bucket = await newBucket("private");
    await putFile(bucket, "x.txt", "x");
    const admitted = await createToken({ ...ALL_RIGHTS, "WhiteIPList.0": "127.0.0.1", "WhiteIPList.1": "::1" });
    const blocked = await createToken({ ...ALL_RIGHTS, "BlackIPList.0": "127.0.0.0/8", "BlackIPList.1": "::1/128" });
    expect((await file(bucket, "x.txt", { sign: { keys: admitted } })).status).toBe(200);
    expect(expectDataError(await file(bucket, "x.txt", { sign: { keys: blocked } }), 403, -90008)).toMatch(/BlackIPList/);
  });
});

describe("freshness of a signed Date", () => {
  const signedGet = (bucket: string, date: string) =>
    request({ host: host(bucket), path: "/x.txt", headers: { Date: date, Authorization: authorization("GET", bucket, "x.txt", { date }) } });

  it("an HTTP-date within 15 minutes passes; one outside is 403 -90017; an empty Date is fine", async () => {
    const bucket = await newBucket("private");
    await putFile(bucket, "x.txt", "x");
    expect((await signedGet(bucket, new Date().toUTCString())).status).toBe(200);
    expect((await signedGet(bucket, new Date(Date.now() - 10 * 60_000).toUTCString())).status).toBe(200);
    expectDataError(await signedGet(bucket, new Date(Date.now() - 20 * 60_000).toUTCString()), 403, -90017);
    expectDataError(await signedGet(bucket, new Date(Date.now() + 20 * 60_000).toUTCString()), 403, -90017);
    expect((await signedGet(bucket, "")).status).toBe(200);
  });

  it("Java's zone-less yyyyMMddHHmmss is fresh in any time zone, and refused a day later", async () => {
    const bucket = await newBucket("private");
    await putFile(bucket, "x.txt", "x");
    const compact = (ms: number) => new Date(ms).toISOString().replace(/\D/g, "").slice(0, 14);
    const china = Date.now() + 8 * 3600_000; // the SDK's default zone in China
    expect((await signedGet(bucket, compact(china))).status).toBe(200);
    expect((await signedGet(bucket, compact(Date.now() - 5 * 3600_000))).status).toBe(200); // UTC-5
    expectDataError(await signedGet(bucket, compact(Date.now() - 26 * 3600_000)), 403, -90017);
  });
});

describe("a copy onto the object's own blob keeps its bytes", () => {
  it("Copy onto itself and UploadHit of a key's own content leave the object readable after the release work", async () => {
    const bucket = await newBucket("private");
    const body = "keep me";
    await putFile(bucket, "self.txt", body, "text/plain");
    const copy = await file(bucket, "self.txt", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${bucket}/self.txt` } });
    expect(copy.status, copy.text()).toBe(200);
    const hit = await file(bucket, "uploadhit", { method: "POST", query: `Hash=${ufileEtag(Buffer.from(body))}&FileName=self.txt&FileSize=${body.length}`, signedKey: "self.txt" });
    expect(hit.status, hit.text()).toBe(200);
    await new Promise((r) => setTimeout(r, 500)); // blob releases run after the response
    const read = await file(bucket, "self.txt");
    expect(read.status).toBe(200);
    expect(read.text()).toBe(body);
  });
});
