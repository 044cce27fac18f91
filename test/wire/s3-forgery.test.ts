/**
 * The S3 forgery table: every row of the S3 operation table × every credential form, over real
 * HTTP, with the outcome each must have, and after each refusal the state read back unchanged.
 * - a header signature authorizes only the headers it signed: one unsigned `x-amz-*` header added
 *   after signing (a replay within the 15-minute window) is refused, whatever the operation;
 * - a presigned URL runs only the operations S3 lets it (no copy, no multi-key delete, no bucket
 *   lifecycle, no ListBuckets);
 * - a POST policy's signature authorizes that form upload, never another request;
 * - anonymous requests only read objects of a public bucket;
 * - a wrong secret, an expired token or a token used from outside its IP lists runs nothing;
 * - bucket lifecycle needs the root key; a TOKEN_DENY_UPDATE token changes no existing object.
 * The expectations are written out here, independently of the Worker's table; the coverage is
 * derived from it (./operation-tables.ts). Adding an S3 operation means adding one `ROWS` entry.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_RIGHTS, createToken, newBucket, request, uniqueName, type Keys, type WireRequest, type WireResponse } from "./client";
import { operationNames } from "./operation-tables";
import { multipartForm, postPolicyFields, presignV4, ROOT_ACCESS_KEY, s3Path, signV4, type AccessKey } from "./s3-helpers";

type Form =
  | "root header"
  | "token header"
  | "root presigned"
  | "POST policy"
  | "unsigned extra header"
  | "anonymous"
  | "wrong secret"
  | "expired token"
  | "IP-listed out"
  | "deny-update token";

const FORMS: Form[] = ["root header", "token header", "root presigned", "POST policy", "unsigned extra header", "anonymous", "wrong secret", "expired token", "IP-listed out", "deny-update token"];

/** How a form carries credentials, and whose. */
interface Credential {
  transport: "header" | "presigned" | "policy" | "unsigned extra" | "none";
  key: AccessKey;
}

const now = () => Math.floor(Date.now() / 1000);
const asAccessKey = (k: Keys): AccessKey => ({ accessKeyId: k.publicKey, secretAccessKey: k.privateKey });

let credentials: Record<Form, Credential>;
let bucket: string;

beforeAll(async () => {
  bucket = await newBucket("public");
  const token = await createToken({ ...ALL_RIGHTS, ExpireTime: now() + 3600 });
  const expired = await createToken({ ...ALL_RIGHTS, ExpireTime: now() - 60 });
  const fenced = await createToken({ ...ALL_RIGHTS, ExpireTime: now() + 3600, "WhiteIPList.0": "10.9.9.9" });
  const createOnly = await createToken({ ...ALL_RIGHTS, "AllowedOps.4": "TOKEN_DENY_UPDATE", ExpireTime: now() + 3600 });
  const root = ROOT_ACCESS_KEY;
  credentials = {
    "root header": { transport: "header", key: root },
    "token header": { transport: "header", key: asAccessKey(token) },
    "root presigned": { transport: "presigned", key: root },
    "POST policy": { transport: "policy", key: root },
    "unsigned extra header": { transport: "unsigned extra", key: root },
    anonymous: { transport: "none", key: root },
    "wrong secret": { transport: "header", key: { accessKeyId: root.accessKeyId, secretAccessKey: "0".repeat(40) } },
    "expired token": { transport: "header", key: asAccessKey(expired) },
    "IP-listed out": { transport: "header", key: asAccessKey(fenced) },
    "deny-update token": { transport: "header", key: asAccessKey(createOnly) },
  };
});

type Req = WireRequest & { method: string; path: string };

/** The request with credentials in the given form. */
function send(cred: Credential, req: Req): Promise<WireResponse> {
  switch (cred.transport) {
    case "header":
      return request(signV4(req, { key: cred.key }));
    case "unsigned extra":
      return request(signV4(req, { key: cred.key, unsigned: { "x-amz-meta-forged": "added after signing" } }));
    case "presigned":
      return request(presignV4(req, { key: cred.key }));
    case "policy": {
      // A POST policy's signature presented as a presigned URL's.
      const fields = postPolicyFields(bucket, [["starts-with", "$key", ""]], { key: cred.key });
      const q = new URLSearchParams({
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": fields["X-Amz-Credential"],
        "X-Amz-Date": fields["X-Amz-Date"],
        "X-Amz-Expires": "600",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": fields["X-Amz-Signature"],
      });
      return request({ ...req, path: req.path + (req.path.includes("?") ? "&" : "?") + q.toString() });
    }
    case "none":
      return request(req);
  }
}

/** A request as root (set-up and read-back); asserts the status. */
async function asRoot(req: Req, status = 200): Promise<WireResponse> {
  const res = await request(signV4(req));
  expect(res.status, `${req.method} ${req.path}: ${res.text()}`).toBe(status);
  return res;
}

const put = (key: string, body = "bytes") => asRoot({ method: "PUT", path: s3Path(bucket, key), body });
const head = (key: string) => request(signV4({ method: "HEAD", path: s3Path(bucket, key) }));
const absent = async (key: string) => expect((await head(key)).status).toBe(404);
const present = async (key: string) => expect((await head(key)).status).toBe(200);
const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

async function createUpload(key: string): Promise<string> {
  const res = await asRoot({ method: "POST", path: `${s3Path(bucket, key)}?uploads` });
  return tag(res.text(), "UploadId")!;
}

const uploadsOf = async (key: string) => (await asRoot({ method: "GET", path: `${s3Path(bucket)}?uploads&prefix=${encodeURIComponent(key)}` })).text();

/** The POST form of a credential: signed with its key (no policy at all when anonymous, an unconditioned field when "unsigned extra"). */
function postForm(cred: Credential, key: string): Req {
  const fields: Record<string, string> = { key };
  if (cred.transport !== "none") Object.assign(fields, postPolicyFields(bucket, [["eq", "$key", key]], { key: cred.key }));
  if (cred.transport === "unsigned extra") fields["x-amz-meta-forged"] = "not in the policy";
  const form = multipartForm(fields, "form bytes");
  return { method: "POST", path: s3Path(bucket), headers: { "Content-Type": form.contentType }, body: form.body };
}

/**
 * One row: what the operation may be authorized by (written independently of the Worker's table),
 * its set-up and request, its success status, and what must hold after a refusal.
 */
interface Row {
  op: string;
  presigned: boolean;
  anonymous: boolean;
  rootOnly?: boolean;
  /** Changes an existing object in place (refused to TOKEN_DENY_UPDATE). */
  updates?: boolean;
  ok: number;
  run(cred: Credential, key: string): Promise<WireResponse>;
  unchanged?(key: string): Promise<void>;
}

const ROWS: Row[] = [
  { op: "ListBuckets", presigned: false, anonymous: false, ok: 200, run: (cred) => send(cred, { method: "GET", path: "/" }) },
  { op: "GetBucketLocation", presigned: true, anonymous: false, ok: 200, run: (cred) => send(cred, { method: "GET", path: `${s3Path(bucket)}?location` }) },
  { op: "ListMultipartUploads", presigned: true, anonymous: false, ok: 200, run: (cred) => send(cred, { method: "GET", path: `${s3Path(bucket)}?uploads` }) },
  { op: "ListObjectsV2", presigned: true, anonymous: false, ok: 200, run: (cred) => send(cred, { method: "GET", path: `${s3Path(bucket)}?list-type=2&prefix=f%2F` }) },
  { op: "ListObjects", presigned: true, anonymous: false, ok: 200, run: (cred) => send(cred, { method: "GET", path: `${s3Path(bucket)}?prefix=f%2F` }) },
  { op: "HeadBucket", presigned: true, anonymous: false, ok: 200, run: (cred) => send(cred, { method: "HEAD", path: s3Path(bucket) }) },
  { op: "ListObjectVersions", presigned: true, anonymous: false, ok: 200, run: (cred) => send(cred, { method: "GET", path: `${s3Path(bucket)}?versions&prefix=f%2F` }) },
  { op: "GetBucketAcl", presigned: true, anonymous: false, ok: 200, run: (cred) => send(cred, { method: "GET", path: `${s3Path(bucket)}?acl` }) },
  {
    op: "PutBucketAcl",
    presigned: false,
    anonymous: false,
    rootOnly: true,
    ok: 200,
    run: (cred) => send(cred, { method: "PUT", path: `${s3Path(bucket)}?acl`, headers: { "x-amz-acl": "public-read" } }), // the bucket stays public: later rows read it anonymously
  },
  {
    op: "GetObjectAcl",
    presigned: true,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => {
      await put(key);
      return send(cred, { method: "GET", path: `${s3Path(bucket, key)}?acl` });
    },
  },
  {
    op: "PutObjectAcl",
    presigned: true,
    anonymous: false,
    updates: true,
    ok: 200,
    run: async (cred, key) => {
      await put(key);
      return send(cred, { method: "PUT", path: `${s3Path(bucket, key)}?acl`, headers: { "x-amz-acl": "private" } });
    },
    unchanged: async (key) => expect((await asRoot({ method: "GET", path: `${s3Path(bucket, key)}?acl` })).text()).toContain("FULL_CONTROL"),
  },
  {
    op: "GetObjectTagging",
    presigned: true,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => {
      await put(key);
      return send(cred, { method: "GET", path: `${s3Path(bucket, key)}?tagging` });
    },
  },
  {
    op: "GetObjectAttributes",
    presigned: true,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => {
      await put(key);
      return send(cred, { method: "GET", path: `${s3Path(bucket, key)}?attributes`, headers: { "x-amz-object-attributes": "ETag,ObjectSize" } });
    },
  },
  {
    op: "PutObjectTagging",
    presigned: true,
    anonymous: false,
    updates: true,
    ok: 200,
    run: async (cred, key) => {
      await put(key);
      return send(cred, { method: "PUT", path: `${s3Path(bucket, key)}?tagging`, body: "<Tagging><TagSet><Tag><Key>forged</Key><Value>1</Value></Tag></TagSet></Tagging>" });
    },
    unchanged: async (key) => expect((await asRoot({ method: "GET", path: `${s3Path(bucket, key)}?tagging` })).text()).not.toContain("forged"),
  },
  {
    op: "DeleteObjectTagging",
    presigned: true,
    anonymous: false,
    updates: true,
    ok: 204,
    run: async (cred, key) => {
      await put(key);
      await asRoot({ method: "PUT", path: `${s3Path(bucket, key)}?tagging`, body: "<Tagging><TagSet><Tag><Key>kept</Key><Value>1</Value></Tag></TagSet></Tagging>" });
      return send(cred, { method: "DELETE", path: `${s3Path(bucket, key)}?tagging` });
    },
    unchanged: async (key) => expect((await asRoot({ method: "GET", path: `${s3Path(bucket, key)}?tagging` })).text()).toContain("kept"),
  },
  {
    op: "CreateBucket",
    presigned: false,
    anonymous: false,
    rootOnly: true,
    ok: 200,
    run: (cred, key) => send(cred, { method: "PUT", path: `/${bucketFor(key)}` }),
    unchanged: async (key) => expect((await request(signV4({ method: "HEAD", path: `/${bucketFor(key)}` }))).status).toBe(404),
  },
  {
    op: "DeleteBucket",
    presigned: false,
    anonymous: false,
    rootOnly: true,
    ok: 204,
    run: async (cred, key) => {
      await asRoot({ method: "PUT", path: `/${bucketFor(key)}` });
      return send(cred, { method: "DELETE", path: `/${bucketFor(key)}` });
    },
    unchanged: async (key) => expect((await request(signV4({ method: "HEAD", path: `/${bucketFor(key)}` }))).status).toBe(200),
  },
  {
    op: "DeleteObjects",
    presigned: false,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => {
      await put(key);
      return send(cred, { method: "POST", path: `${s3Path(bucket)}?delete`, body: `<Delete><Object><Key>${key}</Key></Object></Delete>`, headers: { "content-type": "application/xml" } });
    },
    unchanged: present,
  },
  {
    op: "PostObject",
    presigned: false,
    anonymous: false,
    ok: 204,
    // The form carries the credentials; a presigned URL around it is the one transport left to try.
    run: (cred, key) => (cred.transport === "presigned" ? send(cred, postForm(cred, key)) : request(postForm(cred, key))),
    unchanged: absent,
  },
  {
    op: "CreateMultipartUpload",
    presigned: true,
    anonymous: false,
    ok: 200,
    run: (cred, key) => send(cred, { method: "POST", path: `${s3Path(bucket, key)}?uploads` }),
    unchanged: async (key) => expect(await uploadsOf(key)).not.toContain("<Upload>"),
  },
  {
    op: "CompleteMultipartUpload",
    presigned: true,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => {
      const id = await createUpload(key);
      const part = await asRoot({ method: "PUT", path: `${s3Path(bucket, key)}?partNumber=1&uploadId=${id}`, body: "only part" });
      const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`;
      return send(cred, { method: "POST", path: `${s3Path(bucket, key)}?uploadId=${id}`, body });
    },
    unchanged: absent,
  },
  {
    op: "UploadPartCopy",
    presigned: false,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => {
      await put(`${key}.src`, "part source");
      const id = await createUpload(key);
      return send(cred, { method: "PUT", path: `${s3Path(bucket, key)}?partNumber=1&uploadId=${id}`, headers: { "x-amz-copy-source": `/${bucket}/${key}.src` } });
    },
  },
  {
    op: "UploadPart",
    presigned: true,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => send(cred, { method: "PUT", path: `${s3Path(bucket, key)}?partNumber=1&uploadId=${await createUpload(key)}`, body: "a part" }),
  },
  {
    op: "CopyObject",
    presigned: false,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => {
      await put(`${key}.src`, "copied");
      return send(cred, { method: "PUT", path: s3Path(bucket, key), headers: { "x-amz-copy-source": `/${bucket}/${key}.src` } });
    },
    unchanged: absent,
  },
  { op: "PutObject", presigned: true, anonymous: false, ok: 200, run: (cred, key) => send(cred, { method: "PUT", path: s3Path(bucket, key), body: "new bytes" }), unchanged: absent },
  {
    op: "ListParts",
    presigned: true,
    anonymous: false,
    ok: 200,
    run: async (cred, key) => send(cred, { method: "GET", path: `${s3Path(bucket, key)}?uploadId=${await createUpload(key)}` }),
  },
  {
    op: "GetObject",
    presigned: true,
    anonymous: true,
    ok: 200,
    run: async (cred, key) => {
      await put(key, "readable");
      return send(cred, { method: "GET", path: s3Path(bucket, key) });
    },
  },
  {
    op: "HeadObject",
    presigned: true,
    anonymous: true,
    ok: 200,
    run: async (cred, key) => {
      await put(key, "readable");
      return send(cred, { method: "HEAD", path: s3Path(bucket, key) });
    },
  },
  {
    op: "AbortMultipartUpload",
    presigned: true,
    anonymous: false,
    ok: 204,
    run: async (cred, key) => send(cred, { method: "DELETE", path: `${s3Path(bucket, key)}?uploadId=${await createUpload(key)}` }),
    unchanged: async (key) => expect(await uploadsOf(key)).toContain("<Upload>"),
  },
  {
    op: "DeleteObject",
    presigned: true,
    anonymous: false,
    ok: 204,
    run: async (cred, key) => {
      await put(key, "doomed");
      return send(cred, { method: "DELETE", path: s3Path(bucket, key) });
    },
    unchanged: present,
  },
];

/** Bucket configuration (issue 22): a bucket of the case's own, set up as root, with `xml` under `?sub` when given (that PUT answering `putStatus`). */
async function configuredBucket(key: string, sub: string, xml?: string, putStatus = 200): Promise<string> {
  const name = bucketFor(key);
  await asRoot({ method: "PUT", path: `/${name}` });
  if (xml) await asRoot({ method: "PUT", path: `/${name}?${sub}`, body: xml }, putStatus);
  return name;
}
const configStatus = async (key: string, sub: string) => (await request(signV4({ method: "GET", path: `/${bucketFor(key)}?${sub}` }))).status;
const LIFECYCLE_XML = "<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>x/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>";
const CORS_XML = "<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
const ENCRYPTION_XML = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
const OWNERSHIP_XML = "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>";

/** Put, Get and Delete of one configuration sub-resource: root only, never presigned or anonymous. */
function configRows(sub: string, xml: string, names: [put: string, get: string, del: string]): Row[] {
  const base = { presigned: false, anonymous: false, rootOnly: true } as const;
  return [
    {
      ...base,
      op: names[0],
      ok: 200,
      run: async (cred, key) => send(cred, { method: "PUT", path: `/${await configuredBucket(key, sub)}?${sub}`, body: xml }),
      unchanged: async (key) => expect(await configStatus(key, sub)).toBe(404),
    },
    { ...base, op: names[1], ok: 200, run: async (cred, key) => send(cred, { method: "GET", path: `/${await configuredBucket(key, sub, xml)}?${sub}` }) },
    {
      ...base,
      op: names[2],
      ok: 204,
      run: async (cred, key) => send(cred, { method: "DELETE", path: `/${await configuredBucket(key, sub, xml)}?${sub}` }),
      unchanged: async (key) => expect(await configStatus(key, sub)).toBe(200),
    },
  ];
}
/** Bucket tagging: written by the root key only (204, as S3), read with LIST on the bucket, presigned too. */
const TAGS_XML = "<Tagging><TagSet><Tag><Key>team</Key><Value>a</Value></Tag></TagSet></Tagging>";
ROWS.push(
  {
    op: "PutBucketTagging",
    presigned: false,
    anonymous: false,
    rootOnly: true,
    ok: 204,
    run: async (cred, key) => send(cred, { method: "PUT", path: `/${await configuredBucket(key, "tagging")}?tagging`, body: TAGS_XML }),
    unchanged: async (key) => expect(await configStatus(key, "tagging")).toBe(404),
  },
  {
    op: "GetBucketTagging",
    presigned: true,
    anonymous: false,
    ok: 200,
    run: async (cred) => {
      await asRoot({ method: "PUT", path: `${s3Path(bucket)}?tagging`, body: TAGS_XML }, 204);
      return send(cred, { method: "GET", path: `${s3Path(bucket)}?tagging` });
    },
  },
  {
    op: "DeleteBucketTagging",
    presigned: false,
    anonymous: false,
    rootOnly: true,
    ok: 204,
    run: async (cred, key) => send(cred, { method: "DELETE", path: `/${await configuredBucket(key, "tagging", TAGS_XML, 204)}?tagging` }),
    unchanged: async (key) => expect(await configStatus(key, "tagging")).toBe(200),
  },
);
ROWS.push(
  ...configRows("lifecycle", LIFECYCLE_XML, ["PutBucketLifecycleConfiguration", "GetBucketLifecycleConfiguration", "DeleteBucketLifecycle"]),
  ...configRows("cors", CORS_XML, ["PutBucketCors", "GetBucketCors", "DeleteBucketCors"]),
  ...configRows("encryption", ENCRYPTION_XML, ["PutBucketEncryption", "GetBucketEncryption", "DeleteBucketEncryption"]),
  ...configRows("ownershipControls", OWNERSHIP_XML, ["PutBucketOwnershipControls", "GetBucketOwnershipControls", "DeleteBucketOwnershipControls"]),
);

/** CreateBucket / DeleteBucket: a bucket name of the case's own. */
const bucketFor = (key: string) => key.replace(/[^a-z0-9-]/gi, "-").toLowerCase().slice(-60).replace(/^-+/, "");

/** The outcome a (row, form) cell must have: a success status, or an error status and S3 code. */
function expected(row: Row, form: Form): { status: number; code?: string } {
  const denied = { status: 403, code: "AccessDenied" };
  switch (form) {
    case "root header":
      return { status: row.ok };
    case "token header":
      return row.rootOnly ? denied : { status: row.ok };
    case "deny-update token":
      return row.rootOnly || row.updates ? denied : { status: row.ok };
    case "root presigned":
      return row.presigned ? { status: row.ok } : denied;
    case "POST policy":
      return row.op === "PostObject" ? { status: row.ok } : { status: 403, code: "SignatureDoesNotMatch" };
    case "anonymous":
      return row.anonymous ? { status: row.ok } : denied;
    case "wrong secret":
      return { status: 403, code: "SignatureDoesNotMatch" };
    case "unsigned extra header":
    case "expired token":
    case "IP-listed out":
      return denied;
  }
}

describe("forgery table: S3 operation × credential form", () => {
  it("covers every row of the S3 operation table, and nothing else", async () => {
    const { s3 } = await operationNames();
    expect(ROWS.map((r) => r.op).sort()).toEqual(s3.sort());
  });

  for (const row of ROWS) {
    it.each(FORMS)(`${row.op} with %s`, async (form) => {
      const key = `f/${row.op}-${form.replace(/\W+/g, "-")}-${uniqueName("k")}`.toLowerCase();
      const res = await row.run(credentials[form], key);
      const want = expected(row, form);
      expect(res.status, `${row.op} / ${form}: ${res.text()}`).toBe(want.status);
      if (want.code === undefined) return;
      if (row.op !== "HeadBucket" && row.op !== "HeadObject") expect(tag(res.text(), "Code"), res.text()).toBe(want.code);
      if (form === "unsigned extra header" && row.op !== "PostObject" && !row.op.startsWith("Head")) {
        expect(tag(res.text(), "Message")).toBe("There were headers present in the request which were not signed");
      }
      await row.unchanged?.(key);
    });
  }
});
