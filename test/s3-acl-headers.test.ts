import { describe, expect, it } from "vitest";
import { headerAcl, ownerOnly } from "../src/s3/acl-headers";
import { ApiError } from "../src/errors";

/** The ACL a request's headers name (src/s3/acl-headers.ts): the grant list grammar, and what counts as the owner's alone. */
describe("headerAcl", () => {
  const OWNER = "org-owner";
  const acl = (headers: Record<string, string>) => headerAcl(new Headers(headers), OWNER);
  const refusal = (headers: Record<string, string>) => {
    try {
      acl(headers);
    } catch (e) {
      return (e as ApiError).name;
    }
    return "none";
  };

  it("no ACL header: null; x-amz-acl: the canned ACL, trimmed; an empty one is none", () => {
    expect(acl({})).toBeNull();
    expect(acl({ "x-amz-acl": " public-read " })).toEqual({ canned: "public-read" });
    expect(acl({ "x-amz-acl": "" })).toBeNull();
    expect(ownerOnly(null)).toBe(true);
    expect(ownerOnly({ canned: "private" })).toBe(false);
    expect(ownerOnly({ canned: "bucket-owner-full-control" })).toBe(true);
  });

  it("grants naming only the owner, FULL_CONTROL among them, read as bucket-owner-full-control: quoted or not, any case of `id`, spaced, repeated", () => {
    const cases: Record<string, string>[] = [
      { "x-amz-grant-full-control": `id="${OWNER}"` },
      { "x-amz-grant-full-control": `id=${OWNER}` },
      { "x-amz-grant-full-control": ` ID = "${OWNER}" ` },
      { "x-amz-grant-full-control": `id="${OWNER}", id=${OWNER}`, "x-amz-grant-read": `id="${OWNER}"`, "x-amz-grant-write-acp": `Id=${OWNER}` },
    ];
    for (const headers of cases) {
      const got = acl(headers);
      expect(got, JSON.stringify(headers)).toEqual({ canned: "bucket-owner-full-control" });
      expect(ownerOnly(got)).toBe(true);
    }
  });

  it("any other grantee, or the owner without FULL_CONTROL, is unsupported: the first such grant, with its grantee", () => {
    expect(acl({ "x-amz-grant-full-control": `id="${OWNER}", id="org-other"` })).toEqual({
      unsupported: { what: 'x-amz-grant-full-control: id="org-other"', type: "id", value: "org-other" },
    });
    expect(acl({ "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"' })).toMatchObject({ unsupported: { type: "uri" } });
    expect(acl({ "x-amz-grant-read": 'emailAddress="a@example.com"' })).toMatchObject({ unsupported: { type: "emailaddress", value: "a@example.com" } });
    // The owner's id is matched exactly: another case is another id.
    expect(acl({ "x-amz-grant-full-control": `id="${OWNER.toUpperCase()}"` })).toMatchObject({ unsupported: { type: "id" } });
    const noFull = acl({ "x-amz-grant-read": `id="${OWNER}"` });
    expect(noFull).toEqual({ unsupported: { what: "an ACL without the owner's FULL_CONTROL" } });
    expect(ownerOnly(noFull)).toBe(false);
  });

  it("grants equal to a canned ACL read as it: AllUsers READ beside the owner's FULL_CONTROL is public-read, with WRITE public-read-write", () => {
    const allUsers = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"';
    const full = { "x-amz-grant-full-control": `id="${OWNER}"` };
    const pub = acl({ ...full, "x-amz-grant-read": allUsers });
    expect(pub).toEqual({ canned: "public-read" });
    expect(ownerOnly(pub)).toBe(false);
    expect(acl({ ...full, "x-amz-grant-read": allUsers, "x-amz-grant-write": allUsers })).toEqual({ canned: "public-read-write" });
    expect(acl({ ...full, "x-amz-grant-read": `${allUsers}, id=${OWNER}`, "x-amz-grant-read-acp": `id=${OWNER}` })).toEqual({ canned: "public-read" });
    // AllUsers may be granted READ and WRITE only: FULL_CONTROL or READ_ACP for them is no canned ACL.
    expect(acl({ "x-amz-grant-full-control": `id="${OWNER}", ${allUsers}` })).toMatchObject({ unsupported: { type: "uri" } });
    expect(acl({ ...full, "x-amz-grant-read-acp": allUsers })).toMatchObject({ unsupported: { what: `x-amz-grant-read-acp: ${allUsers}` } });
    // Without the owner's FULL_CONTROL, or WRITE without READ: no canned ACL is that.
    expect(acl({ "x-amz-grant-read": allUsers })).toEqual({ unsupported: { what: "an ACL without the owner's FULL_CONTROL" } });
    expect(acl({ ...full, "x-amz-grant-write": allUsers })).toEqual({ unsupported: { what: "WRITE for AllUsers without READ" } });
  });

  it("a canned ACL beside grants is InvalidRequest; a malformed grant list InvalidArgument", () => {
    expect(refusal({ "x-amz-acl": "private", "x-amz-grant-full-control": `id="${OWNER}"` })).toBe("InvalidRequest");
    for (const value of ["", `owner ${OWNER}`, `id="${OWNER}",`, `id="${OWNER}" id="x"`, 'id="unterminated', "=x"]) {
      expect(refusal({ "x-amz-grant-full-control": value }), value).toBe("InvalidArgument");
    }
  });
});
