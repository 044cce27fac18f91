import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/config";
import { hmacSha1Base64 } from "../src/signing.mjs";
import { ApiError } from "../src/errors";
import { canonicalHeaders, listObjectsSuffix, rawQueryParam, stringToSign, stringsToSign, verifySignature, type AuthRequest } from "../src/data/auth";
import { rootKeySource, type KeySource } from "../src/auth/credentials";
import type { Principal } from "../src/auth/principal";
import { PRIVATE_KEY, PUBLIC_KEY } from "./helpers";

const BUCKET = "demobucket";
const ROOT: Principal = { kind: "root", publicKey: PUBLIC_KEY };

/** docs/protocol.md §2.7, verbatim. */
const VECTORS: [string, string][] = [
  ["PUT\n\nimage/jpeg\n\n/demobucket/demokey", "6yvEwzA+4+sMK5vlmflnAIVMABE="],
  ["PUT\n\nimage/jpeg\n\nx-ucloud-bar:bar1,bar2\nx-ucloud-foo:foo\n/demobucket/demokey", "cj7yX7XjtQfeIHgq5nVUvsSsbGc="],
  ["GET\n\n\n1700000000\n/demobucket/demokey", "ZoN2SS6As2mcwTk4LbBTT/RNEAA="],
  ["GET\n\n\n\n/demobucket/", "pMYSykEdcstR5uBJM4h2Iz1yRBs="],
  ["GET\n\n\n\n/demobucket/\nlistobjects\ndelimiter:/\nmarker:\nmax-keys:100\nprefix:a/", "tR1cO/SrllFwPMYZamI/a5bbnLI="],
  ["POST\n\ntext/plain\n\n/demobucket/demokey", "SneA4aDEJKCMa+H8kI8DyIEgpYU="],
  [
    "PUT\n\napplication/octet-stream\n20240102030405\nx-ufile-copy-source:/srcbucket/src.bin\nx-ufile-copy-source-range:bytes=0-4194303\n/demobucket/demokey",
    "TSmFny54DAcxB8s/nk52BWDZg/E=",
  ],
  ["DELETE\n\n\n\n/demobucket/dir/a b.txt", "dcLz9nctpoqby9BXvrHU83XLWBc="],
];

const sig = (s: string) => hmacSha1Base64(PRIVATE_KEY, s);

interface Opts extends Partial<Omit<AuthRequest, "headers">> {
  headers?: [string, string][];
  path?: string;
  /** The operation accepts anonymous requests (GET/HEAD of a publicly readable object). */
  anonymousAllowed?: boolean;
}

/** A request to demobucket: GET /demokey signed by nobody unless the options say otherwise. */
function request(o: Opts = {}): AuthRequest {
  const headers = new Headers();
  for (const [k, v] of o.headers ?? []) headers.append(k, v);
  return {
    method: o.method ?? "GET",
    headers,
    url: o.url ?? new URL(`http://${BUCKET}.localhost${o.path ?? "/demokey"}`),
    bucket: BUCKET,
    resourceKeys: o.resourceKeys ?? ["demokey"],
    listObjects: o.listObjects,
    form: o.form,
    now: o.now ?? 1_700_000_000,
  };
}

/** The principal that signed, as the data plane sees it: anonymous only where the operation accepts it. */
async function auth(o: Opts, sources: KeySource[] = [rootKeySource], e: Env = env): Promise<Principal> {
  const { principal, form } = await verifySignature(request(o), e, sources);
  if (form === "anonymous" && !o.anonymousAllowed) throw new ApiError("NoAuthorization");
  return principal;
}
const header = (signature: string, prefix = "UCloud", pub = PUBLIC_KEY): [string, string] => ["Authorization", `${prefix} ${pub}:${signature}`];

async function expectError(p: Promise<unknown>, name: string, code: number, status = 403) {
  const err = await p.then(
    () => expect.unreachable("expected an ApiError"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).name).toBe(name);
  expect((err as ApiError).entry.code).toBe(code);
  expect((err as ApiError).entry.status).toBe(status);
}

describe("string-to-sign vectors (docs/protocol.md §2.7)", () => {
  it.each(VECTORS)("%j", async (s, expected) => {
    expect(await sig(s)).toBe(expected);
  });

  it("stringToSign builds the vectors from their parts", () => {
    const base = { method: "PUT", contentMd5: "", contentType: "image/jpeg", date: "", canonicalHeaders: "", bucket: BUCKET, key: "demokey" };
    expect(stringToSign(base)).toBe(VECTORS[0][0]);
    const h = new Headers([["X-UCloud-Foo", " foo "], ["x-ucloud-bar", "bar1"]]);
    h.append("X-UCLOUD-BAR", "bar2"); // repeated: headers.get() sees "bar1, bar2"
    h.set("x-ufile-meta-a", "1");
    expect(stringToSign({ ...base, canonicalHeaders: canonicalHeaders(h, "A") })).toBe(VECTORS[1][0]);
    const list = { method: "GET", contentMd5: "", contentType: "", date: "", canonicalHeaders: "", bucket: BUCKET, key: "" };
    expect(stringToSign(list)).toBe(VECTORS[3][0]);
    const suffix = listObjectsSuffix({ delimiter: "/", marker: "", maxKeys: "100", prefix: "a/" });
    expect(stringToSign({ ...list, suffix })).toBe(VECTORS[4][0]);
  });

  it("canonical header variants: B adds only the copy-source pair, C every x-ufile-*", () => {
    const h = new Headers([
      ["X-Ufile-Copy-Source", "/srcbucket/src.bin"],
      ["X-Ufile-Copy-Source-Range", "bytes=0-4194303"],
      ["X-Ufile-Storage-Class", "IA"],
      ["X-UCloud-Z", "z"],
    ]);
    expect(canonicalHeaders(h, "A")).toBe("x-ucloud-z:z\n");
    // sorted together: x-ucloud-* before x-ufile-*
    expect(canonicalHeaders(h, "B")).toBe("x-ucloud-z:z\nx-ufile-copy-source:/srcbucket/src.bin\nx-ufile-copy-source-range:bytes=0-4194303\n");
    expect(canonicalHeaders(h, "C")).toBe(
      "x-ucloud-z:z\nx-ufile-copy-source:/srcbucket/src.bin\nx-ufile-copy-source-range:bytes=0-4194303\nx-ufile-storage-class:IA\n",
    );
  });
});

describe("rawQueryParam", () => {
  const u = new URL("http://b.localhost/k?a=x+y%2B&bare&eq=a=b&dup=1&dup=2&bad=%zz");
  it("percent-decodes only: + stays +", () => expect(rawQueryParam(u, "a")).toBe("x+y+"));
  it("splits on the first =", () => expect(rawQueryParam(u, "eq")).toBe("a=b"));
  it("bare name is empty, absent is null, first occurrence wins", () => {
    expect(rawQueryParam(u, "bare")).toBe("");
    expect(rawQueryParam(u, "nope")).toBeNull();
    expect(rawQueryParam(u, "dup")).toBe("1");
  });
  it("malformed escape → InvalidRequest", async () => {
    await expectError(Promise.resolve().then(() => rawQueryParam(u, "bad")), "InvalidRequest", -90001, 400);
  });
});

describe("authenticate: header form", () => {
  it("variant A without x-ucloud headers (vector 1), UCloud and Inspur prefixes in any case", async () => {
    for (const prefix of ["UCloud", "Inspur", "ucloud", "INSPUR"]) {
      const o = { method: "PUT", headers: [["Content-Type", "image/jpeg"], header(VECTORS[0][1], prefix)] as [string, string][] };
      expect(await auth(o)).toEqual(ROOT);
    }
  });

  it("variant A with x-ucloud headers, one repeated (vector 2)", async () => {
    const o: Opts = {
      method: "PUT",
      headers: [["Content-Type", "image/jpeg"], ["X-UCloud-Foo", "foo"], ["X-UCloud-Bar", "bar1"], ["X-UCloud-Bar", "bar2"], header(VECTORS[1][1])],
    };
    expect(await auth(o)).toEqual(ROOT);
  });

  it("the signed values matter: another Content-Type fails", async () => {
    const o = { method: "PUT", headers: [["Content-Type", "image/png"], header(VECTORS[0][1])] as [string, string][] };
    await expectError(auth(o), "InvalidSignature", -148658);
  });

  it("variant B: Java UploadPartCopy signs Date and the copy-source pair, not the storage class (vector 7)", async () => {
    const o: Opts = {
      method: "PUT",
      headers: [
        ["Content-Type", "application/octet-stream"],
        ["Date", "20240102030405"],
        ["X-Ufile-Copy-Source", "/srcbucket/src.bin"],
        ["X-Ufile-Copy-Source-Range", "bytes=0-4194303"],
        ["X-Ufile-Storage-Class", "STANDARD"],
        header(VECTORS[6][1]),
      ],
      // Java signs a zone-less Date in the client's time zone: any instant within -14 h/+12 h of it is fresh.
      now: Date.UTC(2024, 0, 2, 3, 4, 5) / 1000 - 8 * 3600,
    };
    expect(await auth(o)).toEqual(ROOT);
  });

  it("variant C: x-ucloud-* and every x-ufile-* header (Go 2019)", async () => {
    const s = "PUT\n\nimage/png\n\nx-ucloud-a:1\nx-ufile-meta-b:2\nx-ufile-storage-class:IA\n/demobucket/demokey";
    const headers: [string, string][] = [["Content-Type", "image/png"], ["X-Ufile-Storage-Class", "IA"], ["X-Ucloud-A", "1"], ["X-Ufile-Meta-B", "2"]];
    expect(await auth({ method: "PUT", headers: [...headers, header(await sig(s))] })).toEqual(ROOT);
  });

  it("variant D: Python ListObjects signs its query (vector 5); plain listing signs /bucket/ (vector 4)", async () => {
    const base = { path: "/?listobjects&prefix=a%2F&delimiter=%2F&max-keys=100", resourceKeys: [""] };
    const listObjects = { delimiter: "/", marker: "", maxKeys: "100", prefix: "a/" };
    expect(await auth({ ...base, listObjects, headers: [header(VECTORS[4][1])] })).toEqual(ROOT);
    expect(await auth({ ...base, listObjects, headers: [header(VECTORS[3][1])] })).toEqual(ROOT);
    // D is only tried when the caller says the request is a listobjects
    await expectError(auth({ ...base, headers: [header(VECTORS[4][1])] }), "InvalidSignature", -148658);
  });

  it("a key with a space is signed decoded (vector 8)", async () => {
    const o: Opts = { method: "DELETE", path: "/dir/a%20b.txt", resourceKeys: ["dir/a b.txt"], headers: [header(VECTORS[7][1])] };
    expect(await auth(o)).toEqual(ROOT);
  });

  it("a put-policy third field is appended after the resource", async () => {
    const policy = "eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9leGFtcGxlLmNvbSJ9";
    const s = await sig(`PUT\n\nimage/jpeg\n\n/demobucket/demokey${policy}`);
    const ok: Opts = { method: "PUT", headers: [["Content-Type", "image/jpeg"], header(`${s}:${policy}`)] };
    expect(await auth(ok)).toEqual(ROOT);
    // the policy is signed: the plain signature with a policy attached fails
    const bad: Opts = { method: "PUT", headers: [["Content-Type", "image/jpeg"], header(`${VECTORS[0][1]}:${policy}`)] };
    await expectError(auth(bad), "InvalidSignature", -148658);
  });

  it("UploadHit: the second resource candidate /bucket/uploadhit is accepted", async () => {
    const base = { method: "POST", path: "/uploadhit?Hash=x&FileName=a.txt&FileSize=1", resourceKeys: ["a.txt", "uploadhit"] };
    const first = await sig("POST\n\n\n\n/demobucket/a.txt");
    const second = await sig("POST\n\n\n\n/demobucket/uploadhit");
    expect(await auth({ ...base, headers: [header(first)] })).toEqual(ROOT);
    expect(await auth({ ...base, headers: [header(second)] })).toEqual(ROOT);
    await expectError(auth({ ...base, resourceKeys: ["a.txt"], headers: [header(second)] }), "InvalidSignature", -148658);
  });

  it("identical variants are signed once: one HMAC per distinct string-to-sign", () => {
    const count = (o: Opts) => stringsToSign(request({ ...o, headers: [...(o.headers ?? []), header("garbage")] })).length;
    expect(count({})).toBe(1); // A = B = C
    expect(count({ headers: [["X-Ufile-Meta-A", "1"]] })).toBe(2); // A = B, C
    expect(count({ headers: [["X-Ufile-Copy-Source", "/s/k"], ["X-Ufile-Meta-A", "1"]] })).toBe(3);
    expect(count({ resourceKeys: [""], listObjects: { delimiter: "", marker: "", maxKeys: "", prefix: "" } })).toBe(2); // A, D
    expect(count({ resourceKeys: ["a", "uploadhit"] })).toBe(2);
  });

  it("malformed Authorization values → -148658", async () => {
    for (const value of ["Basic abc", `UCloud ${PUBLIC_KEY}`, `UCloud ${PUBLIC_KEY}:`, `UCloud a:b:c:d`]) {
      await expectError(auth({ headers: [["Authorization", value]] }), "InvalidSignature", -148658);
    }
  });
});

describe("authenticate: query-signed URLs", () => {
  // Computed with Node's crypto for Expires=1700000003; the signature contains both + and /.
  const PLUS_SIG = "3bQlBWw/yz+Gj6KYhMUsgJPXEmk=";
  const url = (signature: string, expires = "1700000003") =>
    new URL(`http://${BUCKET}.localhost/demokey?UCloudPublicKey=${encodeURIComponent(PUBLIC_KEY)}&Expires=${expires}&Signature=${signature}`);

  it("vector 3 (Expires in the Date slot)", async () => {
    expect(await auth({ url: url(VECTORS[2][1], "1700000000") })).toEqual(ROOT);
  });

  it("base64 left unencoded in the URL (Python, C): + stays +", async () => {
    expect(await sig("GET\n\n\n1700000003\n/demobucket/demokey")).toBe(PLUS_SIG);
    expect(await auth({ url: url(PLUS_SIG) })).toEqual(ROOT);
  });

  it("percent-encoded signature (Go, Java), parameters in Go's sorted order", async () => {
    const u = new URL(
      `http://${BUCKET}.localhost/demokey?Expires=1700000003&Signature=${encodeURIComponent(PLUS_SIG)}&UCloudPublicKey=${encodeURIComponent(PUBLIC_KEY)}`,
    );
    expect(await auth({ url: u })).toEqual(ROOT);
  });

  it("expired: now = Expires is fine, one second later → -148660 before the signature is checked", async () => {
    expect(await auth({ url: url(PLUS_SIG), now: 1_700_000_003 })).toEqual(ROOT);
    await expectError(auth({ url: url(PLUS_SIG), now: 1_700_000_004 }), "TokenExpires", -148660);
    await expectError(auth({ url: url("wrong"), now: 1_700_000_004 }), "TokenExpires", -148660);
  });

  it("variant C applies to query signatures", async () => {
    const s = await sig("GET\n\n\n1700000003\nx-ufile-meta-a:1\n/demobucket/demokey");
    expect(await auth({ url: url(encodeURIComponent(s)), headers: [["X-Ufile-Meta-A", "1"]] })).toEqual(ROOT);
  });

  it("incomplete query credentials → -148658", async () => {
    const u = new URL(`http://${BUCKET}.localhost/demokey?UCloudPublicKey=${encodeURIComponent(PUBLIC_KEY)}&Signature=${PLUS_SIG}`);
    await expectError(auth({ url: u }), "InvalidSignature", -148658);
    await expectError(auth({ url: url(PLUS_SIG, "soon") }), "InvalidSignature", -148658);
  });

  it("the header wins over the query", async () => {
    const goodHeader = header(await sig("GET\n\n\n\n/demobucket/demokey"));
    expect(await auth({ url: url("garbage"), headers: [goodHeader] })).toEqual(ROOT);
    await expectError(auth({ url: url(PLUS_SIG), headers: [header("garbage")] }), "InvalidSignature", -148658);
  });
});

describe("authenticate: PostFile form", () => {
  const post = { method: "POST", path: "/", resourceKeys: ["demokey"], headers: [["Content-Type", "multipart/form-data; boundary=B"]] as [string, string][] };
  const form = (authorization: string, fields: { contentType?: string; fileContentType?: string; contentMd5?: string } = {}) => ({
    authorization,
    contentType: fields.contentType ?? null,
    fileContentType: fields.fileContentType ?? null,
    contentMd5: fields.contentMd5 ?? null,
  });

  it("Go: the form field Content-Type is signed, and the Content-MD5 header wins over the field", async () => {
    const s = await sig("POST\nabc\nimage/jpeg\n\n/demobucket/demokey");
    const f = form(`UCloud ${PUBLIC_KEY}:${s}`, { contentType: "image/jpeg", fileContentType: "application/octet-stream", contentMd5: "zzz" });
    expect(await auth({ ...post, headers: [...post.headers, ["Content-MD5", "abc"]], form: f })).toEqual(ROOT);
  });

  it("Python: the file part's Content-Type; the MD5 field when there is no header", async () => {
    const s = await sig("POST\nabc\ntext/plain\n\n/demobucket/demokey");
    expect(await auth({ ...post, form: form(`UCloud ${PUBLIC_KEY}:${s}`, { fileContentType: "text/plain", contentMd5: "abc" }) })).toEqual(ROOT);
  });

  it("never the request's multipart/form-data Content-Type", async () => {
    const s = await sig("POST\n\nmultipart/form-data; boundary=B\n\n/demobucket/demokey");
    await expectError(auth({ ...post, form: form(`UCloud ${PUBLIC_KEY}:${s}`) }), "InvalidSignature", -148658);
  });

  it("a form without Authorization is anonymous → -148643", async () => {
    await expectError(auth({ ...post, form: form("") }), "NoAuthorization", -148643);
  });
});

describe("authenticate: keys and anonymous access", () => {
  const signed = async (pub: string, privateKey = PRIVATE_KEY) =>
    header(await hmacSha1Base64(privateKey, "GET\n\n\n\n/demobucket/demokey"), "UCloud", pub);

  it("unknown public key → -148658", async () => {
    await expectError(auth({ headers: [await signed("someone-else")] }), "InvalidSignature", -148658);
  });

  it("wrong signature → -148658", async () => {
    await expectError(auth({ headers: [await signed(PUBLIC_KEY, "not-the-key")] }), "InvalidSignature", -148658);
  });

  it("no credentials → -148643 unless the caller allows anonymous access", async () => {
    await expectError(auth({}), "NoAuthorization", -148643);
    expect(await auth({ anonymousAllowed: true })).toEqual({ kind: "anonymous" });
  });

  it("a bad signature is refused even where anonymous access is allowed", async () => {
    await expectError(auth({ anonymousAllowed: true, headers: [header("garbage")] }), "InvalidSignature", -148658);
  });

  it("root keys not configured: signed requests → NotConfigured, anonymous still fine", async () => {
    const bare = { ...env, ROOT_PUBLIC_KEY: undefined, ROOT_PRIVATE_KEY: undefined } as Env;
    await expectError(auth({ headers: [await signed(PUBLIC_KEY)] }, [rootKeySource], bare), "NotConfigured", -90015, 503);
    expect(await auth({ anonymousAllowed: true }, [rootKeySource], bare)).toEqual({ kind: "anonymous" });
  });

  it("further key sources are consulted (the token seam)", async () => {
    const token: Principal = {
      kind: "token",
      publicKey: "TOKEN_x",
      scope: {
        tokenId: "x",
        projectId: "p",
        allowedOps: ["TOKEN_ALLOW_READ"],
        allowedPrefixes: ["*"],
        allowedBuckets: ["*"],
        blackIpList: [],
        whiteIpList: [],
        expireTime: 2e9,
        denyUpdate: false,
      },
    };
    const asked: string[] = [];
    const tokens: KeySource = {
      async lookup(publicKey: string) {
        asked.push(publicKey);
        return publicKey === "TOKEN_x" ? { privateKey: "token-secret", principal: token } : null;
      },
    };
    expect(await auth({ headers: [await signed("TOKEN_x", "token-secret")] }, [rootKeySource, tokens])).toEqual(token);
    expect(asked).toEqual(["TOKEN_x"]);
    // root first: the root key never reaches the token source
    expect(await auth({ headers: [await signed(PUBLIC_KEY)] }, [rootKeySource, tokens])).toEqual(ROOT);
    expect(asked).toEqual(["TOKEN_x"]);
    // a token signature checked with its own private key only
    await expectError(auth({ headers: [await signed("TOKEN_x")] }, [rootKeySource, tokens]), "InvalidSignature", -148658);
  });
});
