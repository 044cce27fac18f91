import { nowSeconds } from "../config";
import { ApiError } from "../errors";
import {
  createToken,
  deleteToken,
  listTokens,
  openPrivateKey,
  tokenInProject,
  tokenPublicKey,
  updateToken,
  type Token,
  type TokenFields,
} from "../store/tokens";
import type { ControlAction, ControlContext } from "./context";

/** Token actions: spec 000 §21-23, docs/protocol.md §3.5 and §8. */

export const TOKEN_OPS: ReadonlySet<string> = new Set([
  "TOKEN_ALLOW_NONE",
  "TOKEN_ALLOW_READ",
  "TOKEN_ALLOW_WRITE",
  "TOKEN_ALLOW_DELETE",
  "TOKEN_ALLOW_LIST",
  "TOKEN_ALLOW_IOP",
  "TOKEN_ALLOW_DP",
  "TOKEN_DENY_UPDATE",
]);

/** The largest ExpireTime the API accepts (2100-01-01). */
export const MAX_EXPIRE_TIME = 4_102_416_000;
const DEFAULT_LIFETIME_SECONDS = 86_400;

/** Sanity bounds (Decision): keep a token row far below D1's row and statement limits. */
const MAX_NAME_LENGTH = 256;
const MAX_LIST_ENTRIES = 100;
const MAX_ENTRY_LENGTH = 1024;

const DEFAULTS = {
  allowedOps: ["TOKEN_ALLOW_NONE"],
  allowedPrefixes: ["*"],
  allowedBuckets: ["*"],
  blackIpList: [],
  whiteIpList: [],
} satisfies Partial<TokenFields>;

type ListField = keyof typeof DEFAULTS;

/** Request parameter of each list field. */
const LIST_PARAMS: Record<ListField, string> = {
  allowedOps: "AllowedOps",
  allowedPrefixes: "AllowedPrefixes",
  allowedBuckets: "AllowedBuckets",
  blackIpList: "BlackIPList",
  whiteIpList: "WhiteIPList",
};

/**
 * A list parameter, undefined when absent. Empty entries are dropped (SDKs send "" for unset
 * fields) and duplicates folded. A list left empty takes the default, so no stored list is
 * ever empty and the data plane never has to guess what an empty AllowedOps means.
 */
function listParam(c: ControlContext, field: ListField): string[] | undefined {
  const name = LIST_PARAMS[field];
  const raw = c.params.list(name);
  if (raw === undefined) return undefined;
  const items = [...new Set(raw.filter((s) => s !== ""))];
  if (items.length > MAX_LIST_ENTRIES) throw new ApiError("ParameterOutOfRange", `${name}: at most ${MAX_LIST_ENTRIES} entries`);
  for (const item of items) {
    if (item.length > MAX_ENTRY_LENGTH) throw new ApiError("ParameterOutOfRange", `${name}: entries of at most ${MAX_ENTRY_LENGTH} characters`);
    if (field === "allowedOps" && !TOKEN_OPS.has(item)) throw new ApiError("InvalidParameter", `AllowedOps: unknown value ${item}`);
  }
  return items.length > 0 ? items : [...DEFAULTS[field]];
}

function nameParam(c: ControlContext): string | undefined {
  const name = c.params.nonEmpty("TokenName");
  if (name !== undefined && name.length > MAX_NAME_LENGTH) {
    throw new ApiError("ParameterOutOfRange", `TokenName: at most ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

/** ExpireTime: a non-negative integer (else 15017) not above MAX_EXPIRE_TIME (else 15018). */
function expireTimeParam(c: ControlContext): number | undefined {
  const t = c.params.int("ExpireTime");
  if (t === undefined) return undefined;
  if (t < 0) throw new ApiError("InvalidParameter", "ExpireTime must be a non-negative integer");
  if (t > MAX_EXPIRE_TIME) throw new ApiError("ParameterOutOfRange", `ExpireTime must not exceed ${MAX_EXPIRE_TIME}`);
  return t;
}

/** The fields a create or update request gives (and only those), validated. */
function tokenChanges(c: ControlContext): Partial<TokenFields> {
  const changes: Partial<TokenFields> = {};
  const name = nameParam(c);
  if (name !== undefined) changes.name = name;
  const expireTime = expireTimeParam(c);
  if (expireTime !== undefined) changes.expireTime = expireTime;
  for (const field of Object.keys(LIST_PARAMS) as ListField[]) {
    const list = listParam(c, field);
    if (list !== undefined) changes[field] = list;
  }
  return changes;
}

/** UFileTokenSet (docs/protocol.md §3.5); `privateKey` is "" in the partial view. */
export function tokenSet(t: Token, privateKey: string) {
  return {
    TokenId: t.id,
    TokenName: t.name,
    PublicKey: tokenPublicKey(t.id),
    PrivateKey: privateKey,
    AllowedOps: t.allowedOps,
    AllowedPrefixes: t.allowedPrefixes,
    AllowedBuckets: t.allowedBuckets,
    ExpireTime: t.expireTime,
    CreateTime: t.createdAt,
    ModifyTime: t.modifiedAt,
    Region: t.region,
    BlackIPList: t.blackIpList,
    WhiteIPList: t.whiteIpList,
  };
}

export const createUFileToken: ControlAction = async (c) => {
  const { name, ...given } = tokenChanges(c);
  if (name === undefined) throw new ApiError("MissingParameter", "TokenName is required");
  const now = nowSeconds();
  const limit = c.settings.tokenLimitPerProject;
  const fields: TokenFields = { ...DEFAULTS, expireTime: now + DEFAULT_LIFETIME_SECONDS, ...given, name };
  const created = await createToken(c.db, c.env, { ...fields, projectId: c.projectId, region: c.region, now }, limit);
  if (!created) throw new ApiError("TokenLimitReached", `a project holds at most ${limit} tokens`);
  // The creator gets the private key once here; later only DescribeUFileToken shows it.
  return { TokenId: created.token.id, UFileTokenSet: tokenSet(created.token, created.privateKey) };
};

export const updateUFileToken: ControlAction = async (c) => {
  const id = c.params.required("TokenId");
  if (!(await updateToken(c.db, c.projectId, id, tokenChanges(c), nowSeconds()))) throw new ApiError("TokenNotFound", id);
  return {};
};

export const deleteUFileToken: ControlAction = async (c) => {
  const id = c.params.required("TokenId");
  if (!(await deleteToken(c.db, c.projectId, id))) throw new ApiError("TokenNotFound", id);
  return {};
};

/**
 * `TokenId` and `TokenName` filter; neither lists the project's tokens. A TokenId that matches
 * nothing (or a token of another name) is 15040; a name alone may match nothing (empty DataSet).
 * `Display` = 0 is the partial view (`PrivateKey` ""); absent or any other value shows the key,
 * as UCloud's describe_ufile_token.md says. Only root keys get this far (tokens get 15037).
 */
export const describeUFileToken: ControlAction = async (c) => {
  const id = c.params.nonEmpty("TokenId");
  const name = c.params.nonEmpty("TokenName");
  const showKeys = c.params.int("Display") !== 0;
  let found: Token[];
  if (id !== undefined) {
    const token = await tokenInProject(c.db, c.projectId, id);
    if (!token || (name !== undefined && token.name !== name)) throw new ApiError("TokenNotFound", id);
    found = [token];
  } else {
    found = await listTokens(c.db, c.projectId, name);
  }
  const DataSet = await Promise.all(found.map(async (t) => tokenSet(t, showKeys ? await openPrivateKey(c.env, t) : "")));
  return { DataSet };
};
