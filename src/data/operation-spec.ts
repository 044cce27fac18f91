import type { CredentialForm } from "../auth/forms";
import type { Principal, Right } from "../auth/principal";
import type { ServedRequest } from "../core/request";
import type { ServedBucket } from "../store/buckets";
import type { ListObjectsQuery, PostFileForm } from "./auth";

/**
 * The types of the UFile data plane's operation table, in a leaf module so the table, the context
 * and the access checks can all name them without importing each other.
 */

/** The data-plane operations, in no particular order (the table's order decides matching). */
export const OPERATION_NAMES = [
  "PrefixFileList",
  "ListObjects",
  "GetMultiUploadPart",
  "GetMultiUploadId",
  "PostFile",
  "UploadHit",
  "InitiateMultipartUpload",
  "FinishMultipartUpload",
  "OpMeta",
  "PutObjectTagging",
  "GetObjectTagging",
  "DeleteObjectTagging",
  "PutObjectAcl",
  "GetObjectAcl",
  "UploadPartCopy",
  "UploadPart",
  "Restore",
  "ClassSwitch",
  "Rename",
  "Copy",
  "PutFile",
  "GetFile",
  "HeadFile",
  "AbortMultipartUpload",
  "DeleteFile",
] as const;

/** Every data-plane operation's name: the table (operations.ts) must have a row for each. */
export type Operation = (typeof OPERATION_NAMES)[number];

/**
 * A row of the UFile data-plane operation table (operations.ts; docs/protocol.md §1.4, §2.5, §8), one per operation,
 * holding everything about it — how it is recognised (method, route, `when`), who may run it
 * (`rights` on which subjects, and the credential forms that may authorize it) and what runs it.
 * The first row that matches wins, so more specific rows come first. A flag is a bare query name
 * (`?uploads`): its presence counts, not its value.
 *
 * Credential forms (src/auth/forms.ts, verified by src/data/auth.ts): "header" (`Authorization`), "query" (a presigned URL),
 * "form" (PostFile's form field) and "anonymous" (no credentials: only objects that are publicly
 * readable). A presigned URL signs only the verb, the key (or `/bucket/` for listings) and Expires,
 * so only rows whose string to sign names everything they do allow "query", each with the few query
 * parameters it may add (`presignedParams`); see access.ts for the rest of that rule.
 */
export interface OperationSpec {
  name: Operation;
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  /** `object`: the path names a key (required); `bucket`: the path is `/`. */
  route: "object" | "bucket";
  when?: (q: Query, request: Request, key: string) => boolean;
  run: (c: DataContext) => Promise<Response>;
  /** The rights the principal needs, each on a subject (access.ts says what a subject resolves to). */
  rights: readonly (readonly [Right, UFileSubject])[];
  /** The credential forms that may authorize this operation. */
  credentials: readonly CredentialForm[];
  /** Query parameters a presigned request of this operation may carry besides its signature. */
  presignedParams?: readonly string[];
  /** What is signed and what the subjects are; default: the key itself. */
  access?: (c: DataContext) => Promise<AccessCheck> | AccessCheck;
}

/** What every data-plane operation receives. */
export interface DataContext extends ServedRequest {
  bucket: ServedBucket;
  /** The object key, percent-decoded once ("" on bucket-level routes). */
  key: string;
  /** Query values, form-decoded (`+` is a space). Flags are present with value "". */
  query: Query;
  /** The operation-table row this request runs. */
  operation: OperationSpec;
  /** Who the request is, once access.ts has checked it (anonymous until then). Writes consult it (TOKEN_DENY_UPDATE). */
  principal: Principal;
}

export type Query = Map<string, string>;

/**
 * What a right is checked on: the request's key, the copy source, Rename's new key, the listing
 * prefix, or `published`: the written key when the request's ACL (`X-Ufile-Object-Acl`) leaves it
 * publicly readable, and nothing otherwise (publishing an object needs the right to read it).
 */
export type UFileSubject = "key" | "source" | "newKey" | "prefix" | "published";

export interface ObjectRef {
  bucket: string;
  bucketProjectId: string;
  key: string;
}

/** The subjects of one request, beyond its own bucket. */
export interface AccessTarget {
  key?: string;
  /** Listings: the request's `prefix`, "" when absent. */
  listPrefix?: string;
  /** Copy / UploadPartCopy. */
  source?: ObjectRef;
  /** Rename. */
  newKey?: string;
  /** The key the request makes publicly readable, if it does (set by access.ts from the request's ACL). */
  published?: string;
}

export interface AccessCheck {
  /** Decoded keys whose `/bucket/key` may have been signed. */
  signedKeys: string[];
  target: AccessTarget;
  listObjects?: ListObjectsQuery;
  form?: PostFileForm;
}
