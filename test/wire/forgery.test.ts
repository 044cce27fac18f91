/**
 * The forgery table (issue 10): every UFile data-plane operation × every credential form, over real
 * HTTP, with the outcome each must have. A credential authorizes only what it signed:
 * - a presigned URL signs only the verb, the key (or `/bucket/` for listings) and Expires, so it may run
 *   plain GetFile, HEAD, PutFile, DeleteFile and listings, nothing else (403 -90016);
 * - anonymous requests may only read objects of a public bucket (403 -148643);
 * - a wrong key, an expired URL or token, or a token used from outside its IP lists is refused before
 *   anything runs, and a refused request changes nothing;
 * - a TOKEN_DENY_UPDATE token creates but changes no existing object (class, ACL, tags, metadata: -90008).
 * The expectations are written out here, independently of the Worker's operation table; the rows'
 * coverage is derived from it (./operation-tables.ts): an operation without a row fails the test.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { operationNames } from "./operation-tables";
import {
  ALL_RIGHTS,
  ROOT_KEYS,
  authorization,
  createToken,
  file,
  newBucket,
  partEtag,
  presignedQuery,
  putFile,
  request,
  server,
  uniqueName,
  ufileEtag,
  type Keys,
  type WireResponse,
} from "./client";

type Form =
  | "root header"
  | "root presigned"
  | "token header"
  | "token presigned"
  | "anonymous"
  | "wrong key"
  | "expired URL"
  | "expired token"
  | "IP-listed out"
  | "deny-update token";

const FORMS: Form[] = [
  "root header",
  "root presigned",
  "token header",
  "token presigned",
  "anonymous",
  "wrong key",
  "expired URL",
  "expired token",
  "IP-listed out",
  "deny-update token",
];

/** How a request carries its credentials, as sent by `send` below. */
interface Credential {
  auth: "header" | "query" | "none";
  keys: Keys;
  /** Presigned URLs: Expires (default now + 600 s). */
  expires?: number;
}

const now = () => Math.floor(Date.now() / 1000);

let credentials: Record<Form, Credential>;
let bucket: string;

beforeAll(async () => {
  bucket = await newBucket("public");
  const token = await createToken({ ...ALL_RIGHTS, ExpireTime: now() + 3600 });
  const expired = await createToken({ ...ALL_RIGHTS, ExpireTime: now() - 60 });
  const fenced = await createToken({ ...ALL_RIGHTS, ExpireTime: now() + 3600, "WhiteIPList.0": "10.9.9.9", "WhiteIPList.1": "2001:db8::/32" });
  const createOnly = await createToken({ ...ALL_RIGHTS, "AllowedOps.4": "TOKEN_DENY_UPDATE", ExpireTime: now() + 3600 });
  credentials = {
    "root header": { auth: "header", keys: ROOT_KEYS },
    "root presigned": { auth: "query", keys: ROOT_KEYS },
    "token header": { auth: "header", keys: token },
    "token presigned": { auth: "query", keys: token },
    anonymous: { auth: "none", keys: ROOT_KEYS },
    "wrong key": { auth: "header", keys: { publicKey: ROOT_KEYS.publicKey, privateKey: "0000000000000000000000000000000000000000" } },
    "expired URL": { auth: "query", keys: ROOT_KEYS, expires: now() - 60 },
    "expired token": { auth: "header", keys: expired },
    "IP-listed out": { auth: "header", keys: fenced },
    "deny-update token": { auth: "header", keys: createOnly },
  };
});

interface Send {
  method: string;
  key: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The key whose resource is signed (listings: ""). */
  signedKey?: string;
}

/** A data-plane request with credentials in the given form. */
function send(cred: Credential, s: Send): Promise<WireResponse> {
  const headers = { ...s.headers };
  const contentType = headers["Content-Type"] ?? "";
  const signed = s.signedKey ?? s.key;
  const query = s.query ? [s.query] : [];
  if (cred.auth === "header") headers.Authorization = authorization(s.method, bucket, signed, { contentType, keys: cred.keys });
  if (cred.auth === "query") query.push(presignedQuery(s.method, bucket, signed, cred.expires ?? now() + 600, { contentType, keys: cred.keys }));
  return request({
    method: s.method,
    host: `${bucket}.localhost:${server().port}`,
    path: (s.key ? "/" + s.key.split("/").map(encodeURIComponent).join("/") : "/") + (query.length ? `?${query.join("&")}` : ""),
    headers,
    body: s.body,
  });
}

/** PostFile as the Go SDK builds it: the signature in the form field, unless the credential is a presigned URL. */
function postFile(cred: Credential, key: string, content: string): Promise<WireResponse> {
  const B = "forgery-boundary-7d1e";
  const formAuth = cred.auth === "header" ? authorization("POST", bucket, key, { contentType: "text/plain", keys: cred.keys }) : "";
  const field = (name: string, value: string) => `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const body =
    field("Authorization", formAuth) +
    field("Content-Type", "text/plain") +
    field("FileName", key) +
    `--${B}\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${B}--\r\n`;
  const query = cred.auth === "query" ? `?${presignedQuery("POST", bucket, key, cred.expires ?? now() + 600, { contentType: "text/plain", keys: cred.keys })}` : "";
  return request({
    method: "POST",
    host: `${bucket}.localhost:${server().port}`,
    path: `/${query}`,
    headers: { "Content-Type": `multipart/form-data; boundary=${B}` },
    body,
  });
}

const rootHead = (key: string) => file(bucket, key, { method: "HEAD" });

async function initiate(key: string): Promise<string> {
  const res = await file(bucket, key, { method: "POST", query: "uploads" });
  expect(res.status, res.text()).toBe(200);
  return res.json().UploadId as string;
}

/**
 * One row of the table: what to set up (as root), the request, its success status, and what must
 * hold after a refusal. `updates`: it changes an existing object in place (refused to TOKEN_DENY_UPDATE).
 */
interface Row {
  op: string;
  presignable: boolean;
  updates?: boolean;
  anonymousRead: boolean;
  ok: number;
  run(cred: Credential, key: string): Promise<WireResponse>;
  unchanged?(key: string): Promise<void>;
}

const absent = async (key: string) => expect((await rootHead(key)).status).toBe(404);
const TAGS = '{"Tags":[{"Key":"team","Value":"blue"}]}';
const tagsOf = async (key: string) => (await file(bucket, key, { query: "tagging" })).json().Tags;
const aclOf = async (key: string) => (await file(bucket, key, { query: "acl" })).json().AccessControlList.Grant;
const present = async (key: string) => expect((await rootHead(key)).status).toBe(200);

const ROWS: Row[] = [
  {
    op: "PutFile",
    presignable: true,
    anonymousRead: false,
    ok: 200,
    run: (cred, key) => send(cred, { method: "PUT", key, body: "new bytes", headers: { "Content-Type": "text/plain" } }),
    unchanged: absent,
  },
  {
    op: "GetFile",
    presignable: true,
    anonymousRead: true,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "readable");
      return send(cred, { method: "GET", key });
    },
  },
  {
    op: "HeadFile",
    presignable: true,
    anonymousRead: true,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "readable");
      return send(cred, { method: "HEAD", key });
    },
  },
  {
    op: "DeleteFile",
    presignable: true,
    anonymousRead: false,
    ok: 204,
    run: async (cred, key) => {
      await putFile(bucket, key, "doomed");
      return send(cred, { method: "DELETE", key });
    },
    unchanged: present,
  },
  { op: "PrefixFileList", presignable: true, anonymousRead: false, ok: 200, run: (cred) => send(cred, { method: "GET", key: "", query: "list&prefix=f%2F", signedKey: "" }) },
  {
    op: "ListObjects",
    presignable: true,
    anonymousRead: false,
    ok: 200,
    run: (cred) => send(cred, { method: "GET", key: "", query: "listobjects&prefix=f%2F&delimiter=%2F", signedKey: "" }),
  },
  { op: "GetMultiUploadId", presignable: true, anonymousRead: false, ok: 200, run: (cred) => send(cred, { method: "GET", key: "", query: "muploadid", signedKey: "" }) },
  {
    op: "GetMultiUploadPart",
    presignable: true,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => send(cred, { method: "GET", key: "", query: `muploadpart&uploadId=${await initiate(key)}`, signedKey: "" }),
  },
  { op: "PostFile", presignable: false, anonymousRead: false, ok: 200, run: (cred, key) => postFile(cred, key, "form bytes"), unchanged: absent },
  {
    op: "UploadHit",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      const content = `hit source ${key}`;
      await putFile(bucket, `${key}.src`, content);
      const q = `Hash=${ufileEtag(Buffer.from(content))}&FileName=${encodeURIComponent(key)}&FileSize=${Buffer.byteLength(content)}`;
      return send(cred, { method: "POST", key: "uploadhit", query: q, signedKey: key });
    },
    unchanged: absent,
  },
  { op: "InitiateMultipartUpload", presignable: false, anonymousRead: false, ok: 200, run: (cred, key) => send(cred, { method: "POST", key, query: "uploads" }) },
  {
    op: "UploadPart",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) =>
      send(cred, { method: "PUT", key, query: `uploadId=${await initiate(key)}&partNumber=0`, body: "part zero", headers: { "Content-Type": "text/plain" } }),
  },
  {
    op: "FinishMultipartUpload",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      const id = await initiate(key);
      const part = await file(bucket, key, { method: "PUT", query: `uploadId=${id}&partNumber=0`, body: "only part", headers: { "Content-Type": "text/plain" } });
      expect(part.status).toBe(200);
      return send(cred, { method: "POST", key, query: `uploadId=${id}`, body: partEtag(Buffer.from("only part")), headers: { "Content-Type": "text/plain" } });
    },
    unchanged: absent,
  },
  {
    op: "AbortMultipartUpload",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => send(cred, { method: "DELETE", key, query: `uploadId=${await initiate(key)}` }),
  },
  {
    op: "OpMeta",
    presignable: false,
    updates: true,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "meta", "text/plain");
      return send(cred, { method: "POST", key, query: "opmeta", body: '{"op":"set","metak":"mimetype","metav":"image/png"}', headers: { "Content-Type": "application/json" } });
    },
    unchanged: async (key) => expect((await rootHead(key)).headers["content-type"]).toBe("text/plain"),
  },
  {
    op: "Restore",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "cold");
      return send(cred, { method: "PUT", key, query: "restore" });
    },
  },
  {
    op: "ClassSwitch",
    presignable: false,
    updates: true,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "warm");
      return send(cred, { method: "PUT", key, query: "storageClass=ARCHIVE" });
    },
    unchanged: async (key) => expect((await rootHead(key)).headers["x-ufile-storage-class"]).toBe("STANDARD"),
  },
  {
    op: "Rename",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "moving");
      return send(cred, { method: "PUT", key, query: `newFileName=${encodeURIComponent(`${key}.moved`)}&force=true` });
    },
    unchanged: async (key) => {
      await present(key);
      await absent(`${key}.moved`);
    },
  },
  {
    op: "Copy",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, `${key}.src`, "copied");
      return send(cred, { method: "PUT", key, headers: { "X-Ufile-Copy-Source": `/${bucket}/${key}.src` } });
    },
    unchanged: absent,
  },
  {
    op: "UploadPartCopy",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, `${key}.src`, "part source");
      const id = await initiate(key);
      return send(cred, { method: "PUT", key, query: `uploadId=${id}&partNumber=0`, headers: { "X-Ufile-Copy-Source": `/${bucket}/${key}.src` } });
    },
  },
  {
    op: "PutObjectTagging",
    presignable: false,
    anonymousRead: false,
    updates: true,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "tag me");
      return send(cred, { method: "PUT", key, query: "tagging", body: TAGS, headers: { "Content-Type": "application/json" } });
    },
    unchanged: async (key) => expect(await tagsOf(key)).toEqual([]),
  },
  {
    op: "GetObjectTagging",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "tagged");
      return send(cred, { method: "GET", key, query: "tagging" });
    },
  },
  {
    op: "DeleteObjectTagging",
    presignable: false,
    anonymousRead: false,
    updates: true,
    ok: 204,
    run: async (cred, key) => {
      await putFile(bucket, key, "tagged");
      expect((await file(bucket, key, { method: "PUT", query: "tagging", body: TAGS, headers: { "Content-Type": "application/json" } })).status).toBe(200);
      return send(cred, { method: "DELETE", key, query: "tagging" });
    },
    unchanged: async (key) => expect(await tagsOf(key)).toEqual([{ Key: "team", Value: "blue" }]),
  },
  {
    op: "PutObjectAcl",
    presignable: false,
    anonymousRead: false,
    updates: true,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "closing");
      return send(cred, { method: "PUT", key, query: "acl", headers: { "X-Ufile-Object-Acl": "private" } });
    },
    unchanged: async (key) => expect(await aclOf(key)).toBe("default"),
  },
  {
    op: "GetObjectAcl",
    presignable: false,
    anonymousRead: false,
    ok: 200,
    run: async (cred, key) => {
      await putFile(bucket, key, "acl");
      return send(cred, { method: "GET", key, query: "acl" });
    },
  },
];

/** The outcome a (row, form) cell must have: a success status, or an error status and RetCode. */
function expected(row: Row, form: Form): { status: number; code?: number } {
  switch (form) {
    case "root header":
    case "token header":
      return { status: row.ok };
    case "root presigned":
    case "token presigned":
      return row.presignable ? { status: row.ok } : { status: 403, code: -90016 };
    case "anonymous":
      return row.anonymousRead ? { status: row.ok } : { status: 403, code: -148643 };
    case "wrong key":
      return { status: 403, code: -148658 };
    case "expired URL":
    case "expired token":
      return { status: 403, code: -148660 };
    case "IP-listed out":
      return { status: 403, code: -90008 };
    case "deny-update token":
      return row.updates ? { status: 403, code: -90008 } : { status: row.ok };
  }
}

describe("forgery table: UFile data plane operation × credential form", () => {
  it("covers every row of the UFile operation table, and nothing else", async () => {
    const { ufile } = await operationNames();
    expect(ROWS.map((r) => r.op).sort()).toEqual(ufile.sort());
  });

  for (const row of ROWS) {
    it.each(FORMS)(`${row.op} with %s`, async (form) => {
      const key = `f/${row.op}-${form.replace(/\W+/g, "-")}-${uniqueName("k")}`;
      const res = await row.run(credentials[form], key);
      const want = expected(row, form);
      expect(res.status, `${row.op} / ${form}: ${res.text()}`).toBe(want.status);
      if (want.code !== undefined) {
        if (row.op !== "HeadFile") {
          expect(res.headers["content-type"]).toBe("application/json");
          expect(res.json().RetCode).toBe(want.code);
        }
        await row.unchanged?.(key);
      }
    });
  }
});
