import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ParamValue } from "../src/control/params";
import { tokenKeySource } from "../src/auth/credentials";
import { API, call, control, signControl, toQuery, uniqueName } from "./helpers";

/**
 * Token actions (docs/protocol.md §3.5, §8) over HTTP, signed like the SDKs sign.
 * Every test works in a project of its own: TOKEN_LIMIT_PER_PROJECT is 5 in test/vitest.config.ts.
 */
type Body = Record<string, any>;
type Keys = { publicKey: string; privateKey: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_EXPIRE = 4102416000;
const now = () => Math.floor(Date.now() / 1000);
const newProject = () => `org-${uniqueName("t")}`;

/** A signed GET (query transport); returns the envelope. */
async function get(params: Record<string, ParamValue>, keys?: Keys): Promise<Body> {
  return (await control(params, keys)).body;
}

/** A signed POST with a form body (ucloud-sdk-python3) or a JSON body (generic clients). */
async function post(params: Record<string, ParamValue>, as: "form" | "json", keys?: Keys): Promise<Body> {
  const signed = await signControl(params, keys);
  const res = await call(`${API}/`, {
    method: "POST",
    headers: { "Content-Type": as === "json" ? "application/json" : "application/x-www-form-urlencoded" },
    body: as === "json" ? JSON.stringify(signed) : toQuery(signed),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Body;
}

async function createToken(ProjectId: string, extra: Record<string, ParamValue> = {}): Promise<Body> {
  const body = await get({ Action: "CreateUFileToken", ProjectId, TokenName: "t", ...extra });
  expect(body.RetCode, body.Message).toBe(0);
  return body.UFileTokenSet;
}

async function describeTokens(ProjectId: string, extra: Record<string, ParamValue> = {}): Promise<Body> {
  return get({ Action: "DescribeUFileToken", ProjectId, ...extra });
}

const keysOf = (set: Body): Keys => ({ publicKey: set.PublicKey, privateKey: set.PrivateKey });

async function storedRow(id: string): Promise<Record<string, unknown> | null> {
  return env.DB.prepare("SELECT * FROM tokens WHERE id = ?").bind(id).first();
}

describe("token CRUD round trip", () => {
  it("creates, describes, updates, deletes", async () => {
    const ProjectId = newProject();
    const before = now();
    const created = await get({
      Action: "CreateUFileToken",
      ProjectId,
      Region: "cn-gd",
      TokenName: "uploader",
      "AllowedOps.0": "TOKEN_ALLOW_READ",
      "AllowedOps.1": "TOKEN_ALLOW_WRITE",
      "AllowedPrefixes.0": "photos/",
      "AllowedPrefixes.1": "videos/",
      "AllowedBuckets.0": "bucket-a",
      ExpireTime: MAX_EXPIRE,
    });
    expect(created.RetCode).toBe(0);
    expect(created.Action).toBe("CreateUFileTokenResponse");
    const id: string = created.TokenId;
    expect(id).toMatch(UUID);
    const set = created.UFileTokenSet;
    expect(set).toEqual({
      TokenId: id,
      TokenName: "uploader",
      PublicKey: `TOKEN_${id}`,
      PrivateKey: expect.stringMatching(UUID),
      AllowedOps: ["TOKEN_ALLOW_READ", "TOKEN_ALLOW_WRITE"],
      AllowedPrefixes: ["photos/", "videos/"],
      AllowedBuckets: ["bucket-a"],
      ExpireTime: MAX_EXPIRE,
      CreateTime: expect.any(Number),
      ModifyTime: set.CreateTime,
      Region: "cn-gd",
      BlackIPList: [],
      WhiteIPList: [],
    });
    expect(set.PrivateKey).not.toBe(id);
    expect(set.CreateTime).toBeGreaterThanOrEqual(before);
    expect(set.CreateTime).toBeLessThanOrEqual(now());

    // Describe one: the same set, private key included (root keys, no Display).
    const one = await describeTokens(ProjectId, { TokenId: id });
    expect(one.RetCode).toBe(0);
    expect(one.Action).toBe("DescribeUFileTokenResponse");
    expect(one.DataSet).toEqual([set]);

    // Describe all: both tokens of the project, oldest first.
    const second = await createToken(ProjectId, { TokenName: "reader" });
    const all = await describeTokens(ProjectId);
    expect(all.DataSet.map((t: Body) => t.TokenId)).toEqual([id, second.TokenId]);
    expect((await describeTokens(ProjectId, { TokenName: "reader" })).DataSet).toEqual([second]);
    expect((await describeTokens(ProjectId, { TokenName: "nobody" })).DataSet).toEqual([]);

    // Move the token's times into the past so that the update's ModifyTime visibly moves.
    await env.DB.prepare("UPDATE tokens SET created_at = created_at - 100, modified_at = modified_at - 100 WHERE id = ?")
      .bind(id)
      .run();

    const updated = await get({
      Action: "UpdateUFileToken",
      ProjectId,
      TokenId: id,
      TokenName: "lister",
      "AllowedOps.0": "TOKEN_ALLOW_LIST",
      "AllowedBuckets.0": "bucket-b",
      "AllowedBuckets.1": "bucket-c",
      ExpireTime: 2000000000,
    });
    expect(updated).toEqual({ RetCode: 0, Action: "UpdateUFileTokenResponse", Message: "" });

    const [after] = (await describeTokens(ProjectId, { TokenId: id })).DataSet;
    expect(after).toEqual({
      ...set,
      TokenName: "lister",
      AllowedOps: ["TOKEN_ALLOW_LIST"], // replaced, not merged
      AllowedBuckets: ["bucket-b", "bucket-c"],
      AllowedPrefixes: ["photos/", "videos/"], // not given: kept
      ExpireTime: 2000000000,
      CreateTime: set.CreateTime - 100,
      ModifyTime: expect.any(Number),
    });
    expect(after.ModifyTime).toBeGreaterThanOrEqual(set.CreateTime);
    expect(after.PrivateKey).toBe(set.PrivateKey);

    const deleted = await get({ Action: "DeleteUFileToken", ProjectId, TokenId: id });
    expect(deleted).toEqual({ RetCode: 0, Action: "DeleteUFileTokenResponse", Message: "" });
    expect((await describeTokens(ProjectId, { TokenId: id })).RetCode).toBe(15040);
    expect((await describeTokens(ProjectId)).DataSet.map((t: Body) => t.TokenId)).toEqual([second.TokenId]);
    expect((await get({ Action: "DeleteUFileToken", ProjectId, TokenId: id })).RetCode).toBe(15040);
    expect((await get({ Action: "UpdateUFileToken", ProjectId, TokenId: id, TokenName: "x" })).RetCode).toBe(15040);
    expect(await storedRow(id)).toBeNull();
  });

  it("applies the defaults, the configured region and the default project", async () => {
    const before = now();
    const body = await get({ Action: "CreateUFileToken", TokenName: "defaults" });
    expect(body.RetCode).toBe(0);
    const set = body.UFileTokenSet;
    expect(set.AllowedOps).toEqual(["TOKEN_ALLOW_NONE"]);
    expect(set.AllowedPrefixes).toEqual(["*"]);
    expect(set.AllowedBuckets).toEqual(["*"]);
    expect(set.Region).toBe("cn-bj");
    expect(set.ExpireTime).toBeGreaterThanOrEqual(before + 86400);
    expect(set.ExpireTime).toBeLessThanOrEqual(now() + 86400);
    // No ProjectId anywhere: the configured default project holds it.
    const described = await get({ Action: "DescribeUFileToken", TokenId: body.TokenId });
    expect(described.DataSet).toEqual([set]);
    expect((await storedRow(body.TokenId))?.project_id).toBe("org-edgefile");
    expect((await get({ Action: "DeleteUFileToken", TokenId: body.TokenId })).RetCode).toBe(0);
  });

  it("drops empty entries, folds duplicates and treats an emptied list as the default", async () => {
    const ProjectId = newProject();
    const set = await createToken(ProjectId, {
      "AllowedOps.0": "",
      "AllowedBuckets.0": "a",
      "AllowedBuckets.1": "a",
      "AllowedBuckets.2": "b",
    });
    expect(set.AllowedOps).toEqual(["TOKEN_ALLOW_NONE"]);
    expect(set.AllowedBuckets).toEqual(["a", "b"]);
    // A JSON empty array is a given list: it replaces the stored one with the default.
    const body = await post({ Action: "UpdateUFileToken", ProjectId, TokenId: set.TokenId, AllowedBuckets: [] }, "json");
    expect(body.RetCode).toBe(0);
    expect((await describeTokens(ProjectId)).DataSet[0].AllowedBuckets).toEqual(["*"]);
  });

  it("keeps the optional BlackIPList / WhiteIPList and TOKEN_DENY_UPDATE", async () => {
    const ProjectId = newProject();
    const set = await createToken(ProjectId, {
      "AllowedOps.0": "TOKEN_ALLOW_WRITE",
      "AllowedOps.1": "TOKEN_DENY_UPDATE",
      "BlackIPList.0": "10.0.0.1",
      "WhiteIPList.0": "192.0.2.0/24",
      "WhiteIPList.1": "198.51.100.7",
    });
    expect(set.AllowedOps).toEqual(["TOKEN_ALLOW_WRITE", "TOKEN_DENY_UPDATE"]);
    expect(set.BlackIPList).toEqual(["10.0.0.1"]);
    expect(set.WhiteIPList).toEqual(["192.0.2.0/24", "198.51.100.7"]);
    await get({ Action: "UpdateUFileToken", ProjectId, TokenId: set.TokenId, "WhiteIPList.0": "203.0.113.9" });
    const [after] = (await describeTokens(ProjectId)).DataSet;
    expect(after.WhiteIPList).toEqual(["203.0.113.9"]);
    expect(after.BlackIPList).toEqual(["10.0.0.1"]);
  });
});

describe("transports", () => {
  it("takes lists as AllowedOps.N in a POST form body (ucloud-sdk-python3)", async () => {
    const ProjectId = newProject();
    const body = await post(
      {
        Action: "CreateUFileToken",
        ProjectId,
        TokenName: "form token",
        "AllowedOps.0": "TOKEN_ALLOW_READ",
        "AllowedOps.1": "TOKEN_ALLOW_LIST",
        "AllowedPrefixes.0": "a b/",
        "AllowedBuckets.0": "x",
        "AllowedBuckets.1": "y",
        ExpireTime: 1900000000,
      },
      "form",
    );
    expect(body.RetCode, body.Message).toBe(0);
    expect(body.UFileTokenSet).toMatchObject({
      TokenName: "form token",
      AllowedOps: ["TOKEN_ALLOW_READ", "TOKEN_ALLOW_LIST"],
      AllowedPrefixes: ["a b/"],
      AllowedBuckets: ["x", "y"],
      ExpireTime: 1900000000,
    });
    // ucloud-sdk-go style: POST /?Action=X with every parameter also in the form body.
    const signed = await signControl({ Action: "DescribeUFileToken", ProjectId, TokenId: body.TokenId, Display: 0 });
    const res = await call(`${API}/?Action=DescribeUFileToken`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: toQuery(signed),
    });
    const described = (await res.json()) as Body;
    expect(described.DataSet).toEqual([{ ...body.UFileTokenSet, PrivateKey: "" }]);
  });

  it("takes real arrays and numbers in a JSON body", async () => {
    const ProjectId = newProject();
    const body = await post(
      {
        Action: "CreateUFileToken",
        ProjectId,
        TokenName: "json",
        AllowedOps: ["TOKEN_ALLOW_DELETE", "TOKEN_ALLOW_IOP", "TOKEN_ALLOW_DP"],
        AllowedPrefixes: ["p/"],
        AllowedBuckets: ["b1"],
        ExpireTime: 1800000000,
      },
      "json",
    );
    expect(body.RetCode, body.Message).toBe(0);
    const id = body.TokenId;
    expect(body.UFileTokenSet).toMatchObject({
      AllowedOps: ["TOKEN_ALLOW_DELETE", "TOKEN_ALLOW_IOP", "TOKEN_ALLOW_DP"],
      AllowedPrefixes: ["p/"],
      AllowedBuckets: ["b1"],
      ExpireTime: 1800000000,
    });
    const update = await post({ Action: "UpdateUFileToken", ProjectId, TokenId: id, AllowedPrefixes: ["q/", "r/"] }, "json");
    expect(update.RetCode).toBe(0);
    const described = await post({ Action: "DescribeUFileToken", ProjectId, TokenId: id }, "json");
    expect(described.DataSet[0].AllowedPrefixes).toEqual(["q/", "r/"]);
    const bad = await post({ Action: "UpdateUFileToken", ProjectId, TokenId: id, AllowedOps: ["TOKEN_ALLOW_ALL"] }, "json");
    expect(bad.RetCode).toBe(15017);
  });
});

describe("PrivateKey visibility", () => {
  it("shows the key unless Display is 0", async () => {
    const ProjectId = newProject();
    const set = await createToken(ProjectId);
    expect(set.PrivateKey).toMatch(UUID);
    const keyWith = async (extra: Record<string, ParamValue>) => {
      const body = await describeTokens(ProjectId, extra);
      expect(body.RetCode).toBe(0);
      return body.DataSet[0].PrivateKey;
    };
    expect(await keyWith({})).toBe(set.PrivateKey);
    expect(await keyWith({ Display: 0 })).toBe("");
    expect(await keyWith({ Display: 0, TokenId: set.TokenId })).toBe("");
    expect(await keyWith({ Display: 1 })).toBe(set.PrivateKey);
    expect(await keyWith({ Display: 2, TokenId: set.TokenId })).toBe(set.PrivateKey);
    const json = await post({ Action: "DescribeUFileToken", ProjectId, Display: 0 }, "json");
    expect(json.DataSet[0].PrivateKey).toBe("");
    // The partial view hides only the key.
    expect(json.DataSet[0]).toEqual({ ...set, PrivateKey: "" });
    expect((await describeTokens(ProjectId, { Display: "all" })).RetCode).toBe(15017);
  });
});

describe("private keys at rest", () => {
  it("are stored sealed, never in clear", async () => {
    const ProjectId = newProject();
    const a = await createToken(ProjectId);
    const b = await createToken(ProjectId);
    const row = await storedRow(a.TokenId);
    expect(row).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain(a.PrivateKey);
    const sealed = String(row!.private_key_enc);
    // base64(12-byte IV || 36-byte UUID ciphertext || 16-byte tag) = 64 bytes.
    expect(atob(sealed).length).toBe(64);
    expect(sealed).not.toBe(String((await storedRow(b.TokenId))!.private_key_enc));
  });

  it("bind the sealed key to its row: a key moved to another row does not open", async () => {
    const ProjectId = newProject();
    const a = await createToken(ProjectId);
    const b = await createToken(ProjectId);
    await env.DB.prepare("UPDATE tokens SET private_key_enc = (SELECT private_key_enc FROM tokens WHERE id = ?) WHERE id = ?")
      .bind(a.TokenId, b.TokenId)
      .run();
    await expect(tokenKeySource.lookup(b.PublicKey, env)).rejects.toThrow(/cannot be decrypted/);
    expect((await tokenKeySource.lookup(a.PublicKey, env))?.privateKey).toBe(a.PrivateKey);
  });
});

describe("errors", () => {
  it("15002: TokenName on create, TokenId on update and delete", async () => {
    const ProjectId = newProject();
    expect((await get({ Action: "CreateUFileToken", ProjectId })).RetCode).toBe(15002);
    expect((await get({ Action: "CreateUFileToken", ProjectId, TokenName: "" })).RetCode).toBe(15002);
    expect((await get({ Action: "UpdateUFileToken", ProjectId, TokenName: "x" })).RetCode).toBe(15002);
    expect((await get({ Action: "DeleteUFileToken", ProjectId })).RetCode).toBe(15002);
    expect((await describeTokens(ProjectId)).DataSet).toEqual([]);
  });

  it("15017: an unknown AllowedOps value, on create and on update", async () => {
    const ProjectId = newProject();
    for (const op of ["TOKEN_ALLOW_EVERYTHING", "token_allow_read", "READ"]) {
      const body = await get({ Action: "CreateUFileToken", ProjectId, TokenName: "t", "AllowedOps.0": "TOKEN_ALLOW_READ", "AllowedOps.1": op });
      expect(body.RetCode, op).toBe(15017);
      expect(body.Message).toContain(op);
    }
    expect((await describeTokens(ProjectId)).DataSet).toEqual([]);
    const set = await createToken(ProjectId, { "AllowedOps.0": "TOKEN_ALLOW_READ" });
    const body = await get({ Action: "UpdateUFileToken", ProjectId, TokenId: set.TokenId, TokenName: "new", "AllowedOps.0": "TOKEN_ALLOW_X" });
    expect(body.RetCode).toBe(15017);
    // A refused update changes nothing.
    expect((await describeTokens(ProjectId)).DataSet).toEqual([set]);
  });

  it("15017 / 15018: ExpireTime not an int, negative, or above 4102416000", async () => {
    const ProjectId = newProject();
    const create = (ExpireTime: ParamValue) => get({ Action: "CreateUFileToken", ProjectId, TokenName: "t", ExpireTime });
    for (const bad of ["abc", "1.5", "-1", "1e9"]) expect((await create(bad)).RetCode, bad).toBe(15017);
    expect((await create(MAX_EXPIRE + 1)).RetCode).toBe(15018);
    expect((await create("99999999999999999999")).RetCode).toBe(15018);
    expect((await post({ Action: "CreateUFileToken", ProjectId, TokenName: "t", ExpireTime: 12.5 }, "json")).RetCode).toBe(15017);
    expect((await describeTokens(ProjectId)).DataSet).toEqual([]);

    const edge = await create(MAX_EXPIRE);
    expect(edge.RetCode).toBe(0);
    expect(edge.UFileTokenSet.ExpireTime).toBe(MAX_EXPIRE);
    const update = (ExpireTime: ParamValue) => get({ Action: "UpdateUFileToken", ProjectId, TokenId: edge.TokenId, ExpireTime });
    expect((await update(MAX_EXPIRE + 1)).RetCode).toBe(15018);
    expect((await update("-5")).RetCode).toBe(15017);
    expect((await describeTokens(ProjectId)).DataSet[0].ExpireTime).toBe(MAX_EXPIRE);
  });

  it("15018: oversized names and lists", async () => {
    const ProjectId = newProject();
    expect((await get({ Action: "CreateUFileToken", ProjectId, TokenName: "n".repeat(257) })).RetCode).toBe(15018);
    const many = Array.from({ length: 101 }, (_, i) => `b${i}`);
    expect((await post({ Action: "CreateUFileToken", ProjectId, TokenName: "t", AllowedBuckets: many }, "json")).RetCode).toBe(15018);
    expect((await get({ Action: "CreateUFileToken", ProjectId, TokenName: "t", "AllowedPrefixes.0": "p".repeat(1025) })).RetCode).toBe(15018);
    expect((await describeTokens(ProjectId)).DataSet).toEqual([]);
  });

  it("15038: the per-project limit, freed again by a delete", async () => {
    const ProjectId = newProject();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createToken(ProjectId, { TokenName: `t${i}` }));
    const over = await get({ Action: "CreateUFileToken", ProjectId, TokenName: "sixth" });
    expect(over.RetCode).toBe(15038);
    expect(over.TokenId).toBeUndefined();
    // Another project is not affected.
    expect((await get({ Action: "CreateUFileToken", ProjectId: newProject(), TokenName: "t" })).RetCode).toBe(0);
    expect((await get({ Action: "DeleteUFileToken", ProjectId, TokenId: made[0].TokenId })).RetCode).toBe(0);
    expect((await get({ Action: "CreateUFileToken", ProjectId, TokenName: "sixth" })).RetCode).toBe(0);
    expect((await describeTokens(ProjectId)).DataSet).toHaveLength(5);
  });

  it("15038: concurrent creates never exceed the limit", async () => {
    const ProjectId = newProject();
    const bodies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => get({ Action: "CreateUFileToken", ProjectId, TokenName: `c${i}` })),
    );
    const codes = bodies.map((b) => b.RetCode);
    expect(codes.filter((c) => c === 0)).toHaveLength(5);
    expect(codes.filter((c) => c === 15038)).toHaveLength(7);
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM tokens WHERE project_id = ?").bind(ProjectId).first<{ n: number }>();
    expect(stored?.n).toBe(5);
  });

  it("15040: an unknown TokenId, a deleted one, or one of another project", async () => {
    const ProjectId = newProject();
    const other = newProject();
    const unknown = crypto.randomUUID();
    for (const Action of ["DescribeUFileToken", "UpdateUFileToken", "DeleteUFileToken"]) {
      const body = await get({ Action, ProjectId, TokenId: unknown });
      expect(body.RetCode, Action).toBe(15040);
      expect(body.Action).toBe(`${Action}Response`);
    }
    const set = await createToken(ProjectId);
    for (const Action of ["DescribeUFileToken", "UpdateUFileToken", "DeleteUFileToken"]) {
      expect((await get({ Action, ProjectId: other, TokenId: set.TokenId, TokenName: "stolen" })).RetCode, Action).toBe(15040);
    }
    expect((await describeTokens(other)).DataSet).toEqual([]);
    // Untouched in its own project.
    expect((await describeTokens(ProjectId, { TokenId: set.TokenId })).DataSet).toEqual([set]);
    // TokenId and TokenName together must both match.
    expect((await describeTokens(ProjectId, { TokenId: set.TokenId, TokenName: "other" })).RetCode).toBe(15040);
  });

  it("15037: a valid token signature on any control-plane action", async () => {
    const ProjectId = newProject();
    const set = await createToken(ProjectId, { "AllowedOps.0": "TOKEN_ALLOW_READ" });
    const calls: Record<string, ParamValue>[] = [
      { Action: "DescribeUFileToken", ProjectId },
      { Action: "CreateUFileToken", ProjectId, TokenName: "by-token" },
      { Action: "DescribeBucket" },
    ];
    for (const params of calls) {
      const body = await get(params, keysOf(set));
      expect(body.RetCode, String(params.Action)).toBe(15037);
      expect(body.Message).toMatch(/permission/i);
    }
    const form = await post({ Action: "DeleteUFileToken", ProjectId, TokenId: set.TokenId }, "form", keysOf(set));
    expect(form.RetCode).toBe(15037);
    expect((await describeTokens(ProjectId)).DataSet).toEqual([set]);
    // A wrong signature with a token key is a signature error, not 15037.
    const wrong = await get({ Action: "DescribeUFileToken", ProjectId }, { ...keysOf(set), privateKey: crypto.randomUUID() });
    expect(wrong.RetCode).toBe(171);
  });

  it("172: an unknown TOKEN_ key, including a deleted token's", async () => {
    const ProjectId = newProject();
    const keys = { publicKey: `TOKEN_${crypto.randomUUID()}`, privateKey: crypto.randomUUID() };
    expect((await get({ Action: "DescribeUFileToken", ProjectId }, keys)).RetCode).toBe(172);
    expect((await get({ Action: "DescribeUFileToken", ProjectId }, { ...keys, publicKey: "TOKEN_x" })).RetCode).toBe(172);
    const set = await createToken(ProjectId);
    expect((await get({ Action: "DescribeBucket" }, keysOf(set))).RetCode).toBe(15037);
    await get({ Action: "DeleteUFileToken", ProjectId, TokenId: set.TokenId });
    expect((await get({ Action: "DescribeBucket" }, keysOf(set))).RetCode).toBe(172);
  });
});

describe("tokenKeySource", () => {
  it("returns the decrypted key and the scope, follows updates, and forgets deleted tokens", async () => {
    const ProjectId = newProject();
    const set = await createToken(ProjectId, {
      "AllowedOps.0": "TOKEN_ALLOW_READ",
      "AllowedPrefixes.0": "in/",
      "AllowedBuckets.0": "bkt",
      ExpireTime: 1700000000,
    });
    const found = await tokenKeySource.lookup(set.PublicKey, env);
    expect(found).toEqual({
      privateKey: set.PrivateKey,
      principal: {
        kind: "token",
        publicKey: set.PublicKey,
        scope: {
          tokenId: set.TokenId,
          projectId: ProjectId,
          allowedOps: ["TOKEN_ALLOW_READ"],
          allowedPrefixes: ["in/"],
          allowedBuckets: ["bkt"],
          blackIpList: [],
          whiteIpList: [],
          expireTime: 1700000000,
          denyUpdate: false,
        },
      },
    });

    await get({ Action: "UpdateUFileToken", ProjectId, TokenId: set.TokenId, "AllowedOps.0": "TOKEN_ALLOW_NONE" });
    const narrowed = await tokenKeySource.lookup(set.PublicKey, env);
    expect(narrowed?.principal.kind === "token" && narrowed.principal.scope.allowedOps).toEqual(["TOKEN_ALLOW_NONE"]);

    await get({ Action: "DeleteUFileToken", ProjectId, TokenId: set.TokenId });
    expect(await tokenKeySource.lookup(set.PublicKey, env)).toBeNull();
  });

  it("knows only TOKEN_<uuid> keys", async () => {
    expect(await tokenKeySource.lookup(env.ROOT_PUBLIC_KEY!, env)).toBeNull();
    expect(await tokenKeySource.lookup(`TOKEN_${crypto.randomUUID()}`, env)).toBeNull();
    expect(await tokenKeySource.lookup("TOKEN_' OR 1=1 --", env)).toBeNull();
  });
});
