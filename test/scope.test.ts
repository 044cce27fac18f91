import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors";
import type { Principal, Right, TokenScope } from "../src/auth/principal";
import { authorize, mayReplace, type BucketNeed, type Need, type RequestFacts } from "../src/auth/scope";
import { needsFor } from "../src/data/access";
import { OPERATIONS } from "../src/data/operations";
import { OPERATION_NAMES, type Operation } from "../src/data/operation-spec";
import { S3_OPERATIONS } from "../src/s3/operations";
import { S3_OPERATION_NAMES } from "../src/s3/operation-spec";

const NOW = 1_700_000_000;
const PROJECT = "org-a";
const RIGHTS: Right[] = ["READ", "WRITE", "DELETE", "LIST"];
const FACTS: RequestFacts = { now: NOW, clientIp: "203.0.113.7" };

const token = (scope: Partial<TokenScope> = {}): Principal => ({
  kind: "token",
  publicKey: "TOKEN_t",
  scope: {
    tokenId: "t",
    projectId: PROJECT,
    allowedOps: RIGHTS.map((r) => `TOKEN_ALLOW_${r}`),
    allowedPrefixes: ["*"],
    allowedBuckets: ["*"],
    blackIpList: [],
    whiteIpList: [],
    expireTime: NOW + 3600,
    denyUpdate: false,
    ...scope,
  },
});

const need = (right: Right, more: Partial<BucketNeed> = {}): Need => ({ right, bucket: "photos-bucket", bucketProjectId: PROJECT, key: "photos/a.jpg", ...more });

/** The ApiError name authorize throws, or "ok". */
function outcome(p: Principal, needs: readonly Need[], facts: Partial<RequestFacts> = {}): string {
  try {
    authorize(p, needs, { ...FACTS, ...facts });
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return (e as ApiError).name;
  }
}

describe("authorize", () => {
  it("root may do anything", () => {
    const root: Principal = { kind: "root", publicKey: "k" };
    expect(outcome(root, RIGHTS.map((r) => need(r, { bucketProjectId: "elsewhere" })))).toBe("ok");
  });

  it("anonymous may only READ", () => {
    const anon: Principal = { kind: "anonymous" };
    expect(outcome(anon, [need("READ")])).toBe("ok");
    for (const r of ["WRITE", "DELETE", "LIST"] as const) expect(outcome(anon, [need("READ"), need(r)])).toBe("NoAuthorization");
  });

  it.each(RIGHTS)("a token with only TOKEN_ALLOW_%s gets exactly that right", (granted) => {
    const t = token({ allowedOps: [`TOKEN_ALLOW_${granted}`] });
    for (const r of RIGHTS) expect(outcome(t, [need(r)])).toBe(r === granted ? "ok" : "TokenPermissionDenied");
  });

  it("TOKEN_ALLOW_NONE, IOP and DP grant nothing", () => {
    const t = token({ allowedOps: ["TOKEN_ALLOW_NONE", "TOKEN_ALLOW_IOP", "TOKEN_ALLOW_DP"] });
    for (const r of RIGHTS) expect(outcome(t, [need(r)])).toBe("TokenPermissionDenied");
  });

  it("the denial is 403 -90008", () => {
    expect(() => authorize(token({ allowedOps: [] }), [need("READ")], FACTS)).toThrow(
      expect.objectContaining({ entry: expect.objectContaining({ code: -90008, status: 403 }) }),
    );
  });

  it("expiry: at ExpireTime still valid, one second later -148660", () => {
    const t = token({ expireTime: NOW });
    expect(outcome(t, [need("READ")], { now: NOW })).toBe("ok");
    expect(outcome(t, [need("READ")], { now: NOW + 1 })).toBe("TokenExpires");
    // expiry is checked even when nothing else would pass
    expect(outcome(token({ expireTime: NOW, allowedOps: [] }), [need("READ")], { now: NOW + 1 })).toBe("TokenExpires");
  });

  it("another project's bucket is refused even with * buckets", () => {
    expect(outcome(token(), [need("READ", { bucketProjectId: "org-b" })])).toBe("TokenPermissionDenied");
  });

  it("AllowedBuckets: listed, other and *; an empty list grants nothing (fail closed)", () => {
    const listed = token({ allowedBuckets: ["photos-bucket", "docs"] });
    expect(outcome(listed, [need("READ")])).toBe("ok");
    expect(outcome(listed, [need("READ", { bucket: "photos-bucket2" })])).toBe("TokenPermissionDenied");
    expect(outcome(token({ allowedBuckets: ["*"] }), [need("READ", { bucket: "any" })])).toBe("ok");
    expect(outcome(token({ allowedBuckets: [] }), [need("READ", { bucket: "any" })])).toBe("TokenPermissionDenied");
  });

  it("AllowedPrefixes: a sibling prefix is not inside (photos/ vs photos2/)", () => {
    const t = token({ allowedPrefixes: ["photos/", "docs/"] });
    expect(outcome(t, [need("WRITE", { key: "photos/a.jpg" })])).toBe("ok");
    expect(outcome(t, [need("WRITE", { key: "docs/x/y" })])).toBe("ok");
    expect(outcome(t, [need("WRITE", { key: "photos2/x" })])).toBe("TokenPermissionDenied");
    expect(outcome(t, [need("WRITE", { key: "photos" })])).toBe("TokenPermissionDenied");
    expect(outcome(t, [need("WRITE", { key: "other/photos/a" })])).toBe("TokenPermissionDenied");
  });

  it("AllowedPrefixes * admits any key; an empty list admits none", () => {
    for (const allowedPrefixes of [["*"], ["photos/", "*"]]) {
      expect(outcome(token({ allowedPrefixes }), [need("DELETE", { key: "anything/at/all" })])).toBe("ok");
    }
    expect(outcome(token({ allowedPrefixes: [] }), [need("DELETE", { key: "anything/at/all" })])).toBe("TokenPermissionDenied");
  });

  it("listing: the request prefix must start with an allowed prefix", () => {
    const t = token({ allowedPrefixes: ["photos/"] });
    const list = (listPrefix: string) => outcome(t, [need("LIST", { key: undefined, listPrefix })]);
    expect(list("photos/")).toBe("ok");
    expect(list("photos/2024/")).toBe("ok");
    expect(list("photos")).toBe("TokenPermissionDenied"); // would also list photos2/
    expect(list("")).toBe("TokenPermissionDenied"); // the whole bucket
    expect(outcome(token({ allowedPrefixes: ["*"] }), [need("LIST", { key: undefined, listPrefix: "" })])).toBe("ok");
  });

  it("every need must pass: one bad need fails the lot", () => {
    const t = token({ allowedOps: ["TOKEN_ALLOW_WRITE", "TOKEN_ALLOW_READ"], allowedBuckets: ["photos-bucket"] });
    expect(outcome(t, [need("WRITE"), need("READ")])).toBe("ok");
    expect(outcome(t, [need("WRITE"), need("READ", { bucket: "src" })])).toBe("TokenPermissionDenied");
  });
});

describe("token IP lists (single addresses and CIDR, IPv4 and IPv6)", () => {
  const at = (clientIp: string | null, scope: Partial<TokenScope>) => outcome(token(scope), [need("READ")], { clientIp });

  it("WhiteIPList admits only listed addresses and blocks", () => {
    const white = { whiteIpList: ["203.0.113.0/24", "2001:db8::/32", "198.51.100.9"] };
    expect(at("203.0.113.200", white)).toBe("ok");
    expect(at("198.51.100.9", white)).toBe("ok");
    expect(at("2001:db8:1::5", white)).toBe("ok");
    expect(at("::ffff:203.0.113.4", white)).toBe("ok"); // IPv4-mapped IPv6 is the IPv4 address
    expect(at("203.0.114.1", white)).toBe("TokenPermissionDenied");
    expect(at("198.51.100.10", white)).toBe("TokenPermissionDenied");
    expect(at("2001:db9::1", white)).toBe("TokenPermissionDenied");
  });

  it("BlackIPList refuses listed addresses, and wins over WhiteIPList", () => {
    expect(at("10.1.2.3", { blackIpList: ["10.0.0.0/8"] })).toBe("TokenPermissionDenied");
    expect(at("11.1.2.3", { blackIpList: ["10.0.0.0/8"] })).toBe("ok");
    expect(at("::1", { blackIpList: ["::1"] })).toBe("TokenPermissionDenied");
    expect(at("10.1.2.3", { blackIpList: ["10.1.2.3"], whiteIpList: ["10.0.0.0/8"] })).toBe("TokenPermissionDenied");
  });

  it("with any IP list, an unknown or unparsable client address is refused (fail closed)", () => {
    expect(at(null, { blackIpList: ["10.0.0.0/8"] })).toBe("TokenPermissionDenied");
    expect(at("not-an-ip", { whiteIpList: ["10.0.0.0/8"] })).toBe("TokenPermissionDenied");
    expect(at(null, {})).toBe("ok"); // no lists: the address does not matter
  });

  it("an unparsable list entry matches nothing", () => {
    expect(at("203.0.113.7", { whiteIpList: ["203.0.113.0/33", "bogus"] })).toBe("TokenPermissionDenied");
  });
});

describe("TOKEN_DENY_UPDATE", () => {
  it("mayReplace is false only for deny-update tokens", () => {
    expect(mayReplace({ kind: "root", publicKey: "k" })).toBe(true);
    expect(mayReplace(token())).toBe(true);
    expect(mayReplace(token({ denyUpdate: true }))).toBe(false);
  });
});

describe("operation table → needs (docs/protocol.md §8)", () => {
  const bucket = { name: "photos-bucket", projectId: PROJECT };
  const here = { bucket: bucket.name, bucketProjectId: PROJECT };
  const row = (name: Operation) => OPERATIONS.find((op) => op.name === name)!;
  const needs = (name: Operation, t: Parameters<typeof needsFor>[2]) => needsFor(row(name), bucket, t);

  it("each table has exactly one row per name of its name list (the forgery tables' coverage reads the lists)", () => {
    expect(OPERATIONS.map((op) => op.name).sort()).toEqual([...OPERATION_NAMES].sort());
    expect(S3_OPERATIONS.map((op) => op.name).sort()).toEqual([...S3_OPERATION_NAMES].sort());
  });

  it("every S3 row names its rights (or needs the root key) and at least one credential form", () => {
    for (const op of S3_OPERATIONS) {
      expect(op.rights.length > 0 || ("rootOnly" in op && op.rootOnly), op.name).toBe(true);
      expect(op.credentials.length, op.name).toBeGreaterThan(0);
    }
  });

  it("every row names its rights and at least one credential form", () => {
    for (const op of OPERATIONS) {
      expect(op.rights.length, op.name).toBeGreaterThan(0);
      expect(op.credentials.length, op.name).toBeGreaterThan(0);
    }
  });

  it("only plain object reads/writes/deletes and listings accept a presigned URL; only object reads are anonymous", () => {
    const presignable = OPERATIONS.filter((op) => (op.credentials as readonly string[]).includes("query")).map((op) => op.name);
    expect(presignable.sort()).toEqual(["DeleteFile", "GetFile", "GetMultiUploadId", "GetMultiUploadPart", "HeadFile", "ListObjects", "PrefixFileList", "PutFile"]);
    const anonymous = OPERATIONS.filter((op) => (op.credentials as readonly string[]).includes("anonymous")).map((op) => op.name);
    expect(anonymous.sort()).toEqual(["GetFile", "HeadFile"]);
  });

  it("S3 rows that take no credentials: object reads, and the object writes and deletes a public-read-write bucket allows", () => {
    const anonymous = S3_OPERATIONS.filter((op) => (op.credentials as readonly string[]).includes("anonymous")).map((op) => op.name);
    expect(anonymous.sort()).toEqual(["DeleteObject", "GetObject", "HeadObject", "PutObject"]);
  });

  it.each([
    ["GetFile", "READ"], ["HeadFile", "READ"], ["PutFile", "WRITE"], ["PostFile", "WRITE"], ["UploadHit", "WRITE"],
    ["InitiateMultipartUpload", "WRITE"], ["UploadPart", "WRITE"], ["FinishMultipartUpload", "WRITE"],
    ["AbortMultipartUpload", "WRITE"], ["OpMeta", "UPDATE"], ["Restore", "WRITE"], ["ClassSwitch", "UPDATE"], ["DeleteFile", "DELETE"],
    ["PutObjectTagging", "UPDATE"], ["DeleteObjectTagging", "UPDATE"], ["PutObjectAcl", "UPDATE"], ["GetObjectTagging", "READ"], ["GetObjectAcl", "READ"],
  ] as [Operation, Right][])("%s needs %s on the key", (op, right) => {
    expect(needs(op, { key: "photos/a.jpg" })).toEqual([{ right, ...here, key: "photos/a.jpg" }]);
  });

  it.each(["PrefixFileList", "ListObjects", "GetMultiUploadPart", "GetMultiUploadId"] as Operation[])("%s needs LIST on the prefix", (op) => {
    expect(needs(op, { listPrefix: "photos/" })).toEqual([{ right: "LIST", ...here, listPrefix: "photos/" }]);
    expect((needs(op, {})[0] as BucketNeed).listPrefix).toBe("");
  });

  it("Copy needs WRITE on the destination and READ on the source, in its own bucket and project", () => {
    const source = { bucket: "src", bucketProjectId: "org-b", key: "in/x" };
    const copyNeeds = needs("Copy", { key: "photos/a.jpg", source });
    expect(copyNeeds).toEqual([{ right: "WRITE", ...here, key: "photos/a.jpg" }, { right: "READ", ...source }]);
    // a token of org-a cannot read org-b's source, even with every right
    expect(outcome(token(), copyNeeds)).toBe("TokenPermissionDenied");
    expect(outcome(token(), needs("Copy", { key: "photos/a.jpg", source: { ...source, bucketProjectId: PROJECT } }))).toBe("ok");
    // WRITE alone is not enough
    const writeOnly = token({ allowedOps: ["TOKEN_ALLOW_WRITE"] });
    expect(outcome(writeOnly, needs("Copy", { key: "photos/a.jpg", source: { ...source, bucketProjectId: PROJECT } }))).toBe("TokenPermissionDenied");
  });

  it("Rename needs DELETE on the old key and WRITE on the new one", () => {
    const renameNeeds = needs("Rename", { key: "photos/a.jpg", newKey: "photos/b.jpg" });
    expect(renameNeeds).toEqual([{ right: "DELETE", ...here, key: "photos/a.jpg" }, { right: "WRITE", ...here, key: "photos/b.jpg" }]);
    const t = token({ allowedOps: ["TOKEN_ALLOW_WRITE", "TOKEN_ALLOW_DELETE"], allowedPrefixes: ["photos/"] });
    expect(outcome(t, renameNeeds)).toBe("ok");
    expect(outcome(t, needs("Rename", { key: "photos/a.jpg", newKey: "elsewhere/b.jpg" }))).toBe("TokenPermissionDenied");
    expect(outcome(token({ allowedOps: ["TOKEN_ALLOW_WRITE"] }), renameNeeds)).toBe("TokenPermissionDenied");
  });

  it("publishing a key needs READ on it: the published subject exists only when the request's ACL publishes", () => {
    for (const op of ["PutFile", "UploadHit", "FinishMultipartUpload", "PutObjectAcl"] as Operation[]) {
      const [first] = needs(op, { key: "uploads/v.txt" });
      expect(needs(op, { key: "uploads/v.txt", published: "uploads/v.txt" }), op).toEqual([first, { right: "READ", ...here, key: "uploads/v.txt" }]);
    }
    const writeOnly = token({ allowedOps: ["TOKEN_ALLOW_WRITE"], allowedPrefixes: ["uploads/"] });
    expect(outcome(writeOnly, needs("PutObjectAcl", { key: "uploads/v.txt" }))).toBe("ok");
    expect(outcome(writeOnly, needs("PutObjectAcl", { key: "uploads/v.txt", published: "uploads/v.txt" }))).toBe("TokenPermissionDenied");
    expect(outcome(writeOnly, needs("PutFile", { key: "uploads/v.txt", published: "uploads/v.txt" }))).toBe("TokenPermissionDenied");
  });

  it("UPDATE is WRITE without TOKEN_DENY_UPDATE", () => {
    const update = needs("ClassSwitch", { key: "photos/a.jpg" });
    expect(outcome(token({ allowedOps: ["TOKEN_ALLOW_WRITE"] }), update)).toBe("ok");
    expect(outcome(token({ allowedOps: ["TOKEN_ALLOW_READ", "TOKEN_ALLOW_LIST"] }), update)).toBe("TokenPermissionDenied");
    expect(outcome(token({ denyUpdate: true }), update)).toBe("TokenPermissionDenied");
    // a deny-update token still creates
    expect(outcome(token({ denyUpdate: true }), needs("PutFile", { key: "photos/a.jpg" }))).toBe("ok");
  });

  it("a need on the service checks the right, expiry and IP lists, never a bucket", () => {
    const list: Need[] = [{ right: "LIST", service: true }];
    expect(outcome(token(), list)).toBe("ok");
    expect(outcome(token({ allowedOps: ["TOKEN_ALLOW_READ"] }), list)).toBe("TokenPermissionDenied");
    expect(outcome(token({ expireTime: 1 }), list)).toBe("TokenExpires");
  });

  it("a missing subject is a caller bug, never an open door", () => {
    expect(() => needs("Copy", { key: "k" })).toThrow(/source/);
    expect(() => needs("Rename", { key: "k" })).toThrow(/newKey/);
    expect(() => needs("GetFile", {})).toThrow(/key/);
  });
});
