import { describe, expect, it } from "vitest";
import { ALL_USERS, grantsAcl, policyGrants, type GrantAcl } from "../src/s3/acl-grants";
import { headerAcl } from "../src/s3/acl-headers";
import { parseXmlDocument } from "../src/s3/xml";

/**
 * One grant set, two spellings (src/s3/acl-grants.ts): `x-amz-grant-*` headers and an AccessControlPolicy
 * body granting the same reach the same answer, the canned ACL they equal or the same refusal.
 */
describe("grantsAcl: grant headers and a policy body", () => {
  const OWNER = "org-owner";
  const AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
  type Grantee = ["id" | "uri" | "emailAddress", string];
  type Grants = [permission: string, grantee: Grantee][];

  const viaHeaders = (grants: Grants): GrantAcl | null => {
    const headers = new Headers();
    for (const [permission, [type, value]] of grants) headers.append(`x-amz-grant-${permission.toLowerCase().replace("_", "-")}`, `${type}="${value}"`);
    return headerAcl(headers, OWNER);
  };
  const viaBody = (grants: Grants): GrantAcl => {
    const grantee = ([type, value]: Grantee) =>
      type === "id"
        ? `<Grantee xsi:type="CanonicalUser"><ID>${value}</ID></Grantee>`
        : type === "uri"
          ? `<Grantee xsi:type="Group"><URI>${value}</URI></Grantee>`
          : `<Grantee xsi:type="AmazonCustomerByEmail"><EmailAddress>${value}</EmailAddress></Grantee>`;
    const list = grants.map(([permission, g]) => `<Grant>${grantee(g)}<Permission>${permission}</Permission></Grant>`).join("");
    const xml = `<AccessControlPolicy xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Owner><ID>${OWNER}</ID></Owner><AccessControlList>${list}</AccessControlList></AccessControlPolicy>`;
    return grantsAcl(policyGrants(parseXmlDocument(xml, "AccessControlPolicy")), OWNER);
  };
  /** The answer without the form-specific wording of a refused grant. */
  const answer = (acl: GrantAcl | null) => (acl === null || "canned" in acl ? acl : { unsupported: { type: acl.unsupported.type, value: acl.unsupported.value } });

  const owner: Grantee = ["id", OWNER];
  const allUsers: Grantee = ["uri", ALL_USERS];
  const cases: [Grants, GrantAcl | { unsupported: { type?: string; value?: string } }][] = [
    [[["FULL_CONTROL", owner]], { canned: "bucket-owner-full-control" }],
    [[["FULL_CONTROL", owner], ["READ", owner], ["WRITE_ACP", owner]], { canned: "bucket-owner-full-control" }],
    [[["FULL_CONTROL", owner], ["READ", allUsers]], { canned: "public-read" }],
    [[["READ", allUsers], ["FULL_CONTROL", owner]], { canned: "public-read" }],
    [[["FULL_CONTROL", owner], ["READ", allUsers], ["WRITE", allUsers]], { canned: "public-read-write" }],
    [[["READ", allUsers]], { unsupported: {} }],
    [[["READ", owner]], { unsupported: {} }],
    [[["FULL_CONTROL", owner], ["WRITE", allUsers]], { unsupported: {} }],
    [[["FULL_CONTROL", owner], ["READ_ACP", allUsers]], { unsupported: { type: "uri", value: ALL_USERS } }],
    [[["FULL_CONTROL", owner], ["READ", ["uri", AUTHENTICATED]]], { unsupported: { type: "uri", value: AUTHENTICATED } }],
    [[["FULL_CONTROL", owner], ["READ", ["id", "org-other"]]], { unsupported: { type: "id", value: "org-other" } }],
    [[["FULL_CONTROL", owner], ["READ", ["emailAddress", "a@example.com"]]], { unsupported: { type: "emailaddress", value: "a@example.com" } }],
  ];

  it("reach the same answer for every grant set", () => {
    for (const [grants, expected] of cases) {
      const body = viaBody(grants);
      expect(answer(body), JSON.stringify(grants)).toEqual(answer(expected as GrantAcl));
      expect(answer(viaHeaders(grants)), JSON.stringify(grants)).toEqual(answer(body));
    }
  });

  it("a policy grant without a permission, or to a grantee it does not name, is no canned ACL", () => {
    const xml = (grant: string) =>
      `<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>${OWNER}</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>${grant}</AccessControlList></AccessControlPolicy>`;
    const of = (grant: string) => grantsAcl(policyGrants(parseXmlDocument(xml(grant), "AccessControlPolicy")), OWNER);
    expect(of("")).toEqual({ canned: "bucket-owner-full-control" });
    expect(of(`<Grant><Grantee><ID>${OWNER}</ID></Grantee></Grant>`)).toEqual({ unsupported: { what: `the grant of ? to ${OWNER}`, type: "id", value: OWNER } });
    expect(of("<Grant><Grantee/><Permission>READ</Permission></Grant>")).toEqual({ unsupported: { what: "the grant of READ to another grantee", type: "uri", value: undefined } });
  });
});
