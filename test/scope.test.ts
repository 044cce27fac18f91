import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors";
import type { Principal, Right, TokenScope } from "../src/data/principal";
import { OPERATION_RIGHTS, authorize, needsFor, type Need, type Operation } from "../src/data/scope";

const NOW = 1_700_000_000;
const PROJECT = "org-a";
const RIGHTS: Right[] = ["READ", "WRITE", "DELETE", "LIST"];

const token = (scope: Partial<TokenScope> = {}): Principal => ({
  kind: "token",
  publicKey: "TOKEN_t",
  scope: {
    tokenId: "t",
    projectId: PROJECT,
    allowedOps: RIGHTS.map((r) => `TOKEN_ALLOW_${r}`),
    allowedPrefixes: ["*"],
    allowedBuckets: ["*"],
    expireTime: NOW + 3600,
    ...scope,
  },
});

const need = (right: Right, more: Partial<Need> = {}): Need => ({ right, bucket: "photos-bucket", bucketProjectId: PROJECT, key: "photos/a.jpg", ...more });

/** The ApiError name authorize throws, or "ok". */
function outcome(p: Principal, needs: Need[], now = NOW): string {
  try {
    authorize(p, needs, now);
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
    expect(() => authorize(token({ allowedOps: [] }), [need("READ")], NOW)).toThrow(
      expect.objectContaining({ entry: expect.objectContaining({ code: -90008, status: 403 }) }),
    );
  });

  it("expiry: at ExpireTime still valid, one second later -148660", () => {
    const t = token({ expireTime: NOW });
    expect(outcome(t, [need("READ")], NOW)).toBe("ok");
    expect(outcome(t, [need("READ")], NOW + 1)).toBe("TokenExpires");
    // expiry is checked even when nothing else would pass
    expect(outcome(token({ expireTime: NOW, allowedOps: [] }), [need("READ")], NOW + 1)).toBe("TokenExpires");
  });

  it("another project's bucket is refused even with * buckets", () => {
    expect(outcome(token(), [need("READ", { bucketProjectId: "org-b" })])).toBe("TokenPermissionDenied");
  });

  it("AllowedBuckets: listed, other, * and empty", () => {
    const listed = token({ allowedBuckets: ["photos-bucket", "docs"] });
    expect(outcome(listed, [need("READ")])).toBe("ok");
    expect(outcome(listed, [need("READ", { bucket: "photos-bucket2" })])).toBe("TokenPermissionDenied");
    expect(outcome(token({ allowedBuckets: ["*"] }), [need("READ", { bucket: "any" })])).toBe("ok");
    expect(outcome(token({ allowedBuckets: [] }), [need("READ", { bucket: "any" })])).toBe("ok");
  });

  it("AllowedPrefixes: a sibling prefix is not inside (photos/ vs photos2/)", () => {
    const t = token({ allowedPrefixes: ["photos/", "docs/"] });
    expect(outcome(t, [need("WRITE", { key: "photos/a.jpg" })])).toBe("ok");
    expect(outcome(t, [need("WRITE", { key: "docs/x/y" })])).toBe("ok");
    expect(outcome(t, [need("WRITE", { key: "photos2/x" })])).toBe("TokenPermissionDenied");
    expect(outcome(t, [need("WRITE", { key: "photos" })])).toBe("TokenPermissionDenied");
    expect(outcome(t, [need("WRITE", { key: "other/photos/a" })])).toBe("TokenPermissionDenied");
  });

  it("AllowedPrefixes * or empty admit any key", () => {
    for (const allowedPrefixes of [["*"], [], ["photos/", "*"]]) {
      expect(outcome(token({ allowedPrefixes }), [need("DELETE", { key: "anything/at/all" })])).toBe("ok");
    }
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

describe("operation → needs (PROTOCOL.md §8)", () => {
  const target = { bucket: "photos-bucket", bucketProjectId: PROJECT, key: "photos/a.jpg" };

  it("covers every data-plane operation", () => {
    expect(Object.keys(OPERATION_RIGHTS).sort()).toEqual(
      [
        "PutFile", "PostFile", "UploadHit", "GetFile", "HeadFile", "DeleteFile", "PrefixFileList", "ListObjects",
        "InitiateMultipartUpload", "UploadPart", "UploadPartCopy", "FinishMultipartUpload", "AbortMultipartUpload",
        "GetMultiUploadPart", "GetMultiUploadId", "OpMeta", "Copy", "Rename", "Restore", "ClassSwitch",
      ].sort(),
    );
  });

  it.each([
    ["GetFile", "READ"], ["HeadFile", "READ"], ["PutFile", "WRITE"], ["PostFile", "WRITE"], ["UploadHit", "WRITE"],
    ["InitiateMultipartUpload", "WRITE"], ["UploadPart", "WRITE"], ["FinishMultipartUpload", "WRITE"],
    ["AbortMultipartUpload", "WRITE"], ["OpMeta", "WRITE"], ["Restore", "WRITE"], ["ClassSwitch", "WRITE"], ["DeleteFile", "DELETE"],
  ] as [Operation, Right][])("%s needs %s on the key", (op, right) => {
    expect(needsFor(op, target)).toEqual([{ right, ...target }]);
  });

  it.each(["PrefixFileList", "ListObjects", "GetMultiUploadPart", "GetMultiUploadId"] as Operation[])("%s needs LIST on the prefix", (op) => {
    expect(needsFor(op, { ...target, listPrefix: "photos/" })).toEqual([{ right: "LIST", bucket: target.bucket, bucketProjectId: PROJECT, listPrefix: "photos/" }]);
    expect(needsFor(op, { bucket: target.bucket, bucketProjectId: PROJECT })[0].listPrefix).toBe("");
  });

  it("Copy needs WRITE on the destination and READ on the source, in its own bucket and project", () => {
    const source = { bucket: "src", bucketProjectId: "org-b", key: "in/x" };
    const needs = needsFor("Copy", { ...target, source });
    expect(needs).toEqual([{ right: "WRITE", ...target }, { right: "READ", ...source }]);
    // a token of org-a cannot read org-b's source, even with every right
    expect(outcome(token(), needs)).toBe("TokenPermissionDenied");
    expect(outcome(token(), needsFor("Copy", { ...target, source: { ...source, bucketProjectId: PROJECT } }))).toBe("ok");
    // WRITE alone is not enough
    const writeOnly = token({ allowedOps: ["TOKEN_ALLOW_WRITE"] });
    expect(outcome(writeOnly, needsFor("Copy", { ...target, source: { ...source, bucketProjectId: PROJECT } }))).toBe("TokenPermissionDenied");
  });

  it("Rename needs DELETE on the old key and WRITE on the new one", () => {
    const needs = needsFor("Rename", { ...target, newKey: "photos/b.jpg" });
    expect(needs).toEqual([{ right: "DELETE", ...target }, { right: "WRITE", ...target, key: "photos/b.jpg" }]);
    const t = token({ allowedOps: ["TOKEN_ALLOW_WRITE", "TOKEN_ALLOW_DELETE"], allowedPrefixes: ["photos/"] });
    expect(outcome(t, needs)).toBe("ok");
    expect(outcome(t, needsFor("Rename", { ...target, newKey: "elsewhere/b.jpg" }))).toBe("TokenPermissionDenied");
    expect(outcome(token({ allowedOps: ["TOKEN_ALLOW_WRITE"] }), needs)).toBe("TokenPermissionDenied");
  });

  it("a missing subject is a caller bug, never an open door", () => {
    expect(() => needsFor("Copy", target)).toThrow(/source/);
    expect(() => needsFor("Rename", target)).toThrow(/newKey/);
    expect(() => needsFor("GetFile", { bucket: "b", bucketProjectId: PROJECT })).toThrow(/key/);
  });
});
