import { isFormUpload } from "../core/form";
import type { AccessCheck, DataContext, Operation, OperationSpec, Query } from "./operation-spec";
import { deleteFile, getFile, headFile, putFile } from "./files";
import { listObjects, prefixFileList } from "./listing";
import {
  abortMultipartUpload,
  finishAccess,
  finishMultipartUpload,
  getMultiUploadId,
  getMultiUploadPart,
  initiateMultipartUpload,
  listPartsAccess,
  uploadPart,
  uploadPartCopy,
} from "./multipart";
import { classSwitch, copy, copySourceRef, opMeta, rename, restore, uploadHit, uploadHitParams } from "./object-ops";
import { postFile } from "./post-file";
import { getObjectAcl, putObjectAcl } from "./object-acl";
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from "./tagging";

const has = (...names: string[]) => (q: Query) => names.every((n) => q.has(n));
const copyHeader = (_q: Query, r: Request) => r.headers.has("X-Ufile-Copy-Source");
const isForm = (_q: Query, r: Request) => isFormUpload(r);

/** Listings sign `/bucket/` and are authorized on their `prefix`. */
const listing = (c: DataContext): AccessCheck => ({ signedKeys: [""], target: { listPrefix: c.query.get("prefix") ?? "" } });

const SIGNED = ["header"] as const;
const SIGNED_OR_PRESIGNED = ["header", "query"] as const;
const READ_KEY = [["READ", "key"]] as const;
const WRITE_KEY = [["WRITE", "key"]] as const;
/** Writes that take an ACL: making the written key publicly readable needs READ on it too. */
const WRITE_KEY_ACL = [["WRITE", "key"], ["READ", "published"]] as const;
/** Changing an existing object in place: refused to TOKEN_DENY_UPDATE tokens (src/auth/scope.ts). */
const UPDATE_KEY = [["UPDATE", "key"]] as const;
const LIST_PREFIX = [["LIST", "prefix"]] as const;
const COPY_RIGHTS = [["WRITE", "key"], ["READ", "source"]] as const;
/** Copies sign the target key and are authorized on both the target and the source. */
const copyAccess = async (c: DataContext): Promise<AccessCheck> => ({ signedKeys: [c.key], target: { key: c.key, source: await copySourceRef(c) } });

export const OPERATIONS = [
  {
    name: "PrefixFileList",
    method: "GET",
    route: "bucket",
    when: has("list"),
    run: prefixFileList,
    rights: LIST_PREFIX,
    credentials: SIGNED_OR_PRESIGNED,
    presignedParams: ["list", "prefix", "marker", "limit"],
    access: listing,
  },
  {
    name: "ListObjects",
    method: "GET",
    route: "bucket",
    when: has("listobjects"),
    run: listObjects,
    rights: LIST_PREFIX,
    credentials: SIGNED_OR_PRESIGNED,
    presignedParams: ["listobjects", "prefix", "marker", "max-keys", "delimiter"],
    access: (c) => ({
      ...listing(c),
      listObjects: {
        delimiter: c.query.get("delimiter") ?? "",
        marker: c.query.get("marker") ?? "",
        maxKeys: c.query.get("max-keys") ?? "",
        prefix: c.query.get("prefix") ?? "",
      },
    }),
  },
  {
    name: "GetMultiUploadPart",
    method: "GET",
    route: "bucket",
    when: has("muploadpart"),
    run: getMultiUploadPart,
    rights: LIST_PREFIX,
    credentials: SIGNED_OR_PRESIGNED,
    presignedParams: ["muploadpart", "uploadId", "UploadId", "max-parts", "part-number-marker"],
    access: listPartsAccess,
  },
  {
    name: "GetMultiUploadId",
    method: "GET",
    route: "bucket",
    when: has("muploadid"),
    run: getMultiUploadId,
    rights: LIST_PREFIX,
    credentials: SIGNED_OR_PRESIGNED,
    presignedParams: ["muploadid", "prefix", "marker", "limit"],
    access: listing,
  },
  // The form carries the key and the credentials: postFile authenticates once it has read the small fields.
  { name: "PostFile", method: "POST", route: "bucket", when: isForm, run: postFile, rights: WRITE_KEY, credentials: ["form", "header"] },
  {
    name: "UploadHit",
    method: "POST",
    route: "object",
    when: (q, _r, key) => key === "uploadhit" && q.has("Hash"),
    run: uploadHit,
    rights: WRITE_KEY_ACL,
    credentials: SIGNED,
    access: (c) => {
      const { fileName } = uploadHitParams(c);
      return { signedKeys: [fileName, "uploadhit"], target: { key: fileName } };
    },
  },
  { name: "InitiateMultipartUpload", method: "POST", route: "object", when: has("uploads"), run: initiateMultipartUpload, rights: WRITE_KEY, credentials: SIGNED },
  // Finish authorizes WRITE on the key it publishes under: newKey when that applies.
  {
    name: "FinishMultipartUpload",
    method: "POST",
    route: "object",
    when: has("uploadId"),
    run: finishMultipartUpload,
    rights: WRITE_KEY_ACL,
    credentials: SIGNED,
    access: finishAccess,
  },
  { name: "OpMeta", method: "POST", route: "object", when: has("opmeta"), run: opMeta, rights: UPDATE_KEY, credentials: SIGNED },
  // Sub-resources of an object come before the operations on the object itself.
  { name: "PutObjectTagging", method: "PUT", route: "object", when: has("tagging"), run: putObjectTagging, rights: UPDATE_KEY, credentials: SIGNED },
  { name: "GetObjectTagging", method: "GET", route: "object", when: has("tagging"), run: getObjectTagging, rights: READ_KEY, credentials: SIGNED },
  { name: "DeleteObjectTagging", method: "DELETE", route: "object", when: has("tagging"), run: deleteObjectTagging, rights: UPDATE_KEY, credentials: SIGNED },
  { name: "PutObjectAcl", method: "PUT", route: "object", when: has("acl"), run: putObjectAcl, rights: [["UPDATE", "key"], ["READ", "published"]], credentials: SIGNED },
  { name: "GetObjectAcl", method: "GET", route: "object", when: has("acl"), run: getObjectAcl, rights: READ_KEY, credentials: SIGNED },
  // A part copied from another object needs READ on its source too.
  {
    name: "UploadPartCopy",
    method: "PUT",
    route: "object",
    when: (q, r) => q.has("uploadId") && copyHeader(q, r),
    run: uploadPartCopy,
    rights: COPY_RIGHTS,
    credentials: SIGNED,
    access: copyAccess,
  },
  // Any PUT naming an upload is a part (a missing partNumber is refused), never a PutFile over the key.
  { name: "UploadPart", method: "PUT", route: "object", when: has("uploadId"), run: uploadPart, rights: WRITE_KEY, credentials: SIGNED },
  { name: "Restore", method: "PUT", route: "object", when: has("restore"), run: restore, rights: WRITE_KEY, credentials: SIGNED },
  { name: "ClassSwitch", method: "PUT", route: "object", when: has("storageClass"), run: classSwitch, rights: UPDATE_KEY, credentials: SIGNED },
  {
    name: "Rename",
    method: "PUT",
    route: "object",
    when: has("newFileName"),
    run: rename,
    rights: [["DELETE", "key"], ["WRITE", "newKey"]],
    credentials: SIGNED,
    access: (c) => ({ signedKeys: [c.key], target: { key: c.key, newKey: c.query.get("newFileName") ?? "" } }),
  },
  {
    name: "Copy",
    method: "PUT",
    route: "object",
    when: copyHeader,
    run: copy,
    rights: [...COPY_RIGHTS, ["READ", "published"]],
    credentials: SIGNED,
    access: copyAccess,
  },
  { name: "PutFile", method: "PUT", route: "object", run: putFile, rights: WRITE_KEY_ACL, credentials: SIGNED_OR_PRESIGNED, presignedParams: [] },
  {
    name: "GetFile",
    method: "GET",
    route: "object",
    run: getFile,
    rights: READ_KEY,
    credentials: [...SIGNED_OR_PRESIGNED, "anonymous"],
    presignedParams: ["ufileattname"],
  },
  { name: "HeadFile", method: "HEAD", route: "object", run: headFile, rights: READ_KEY, credentials: [...SIGNED_OR_PRESIGNED, "anonymous"], presignedParams: [] },
  {
    name: "AbortMultipartUpload",
    method: "DELETE",
    route: "object",
    when: has("uploadId"),
    run: abortMultipartUpload,
    rights: WRITE_KEY,
    credentials: SIGNED,
  },
  { name: "DeleteFile", method: "DELETE", route: "object", run: deleteFile, rights: [["DELETE", "key"]], credentials: SIGNED_OR_PRESIGNED, presignedParams: [] },
] as const satisfies readonly OperationSpec[];

/** Compile-time check that every operation has a row (and so its rights, credential forms and handler). */
type Unrouted = Exclude<Operation, (typeof OPERATIONS)[number]["name"]>;
const everyOperationRouted: [Unrouted] extends [never] ? true : Unrouted = true;
void everyOperationRouted;

/** Sub-resources some SDKs know but edgefile does not serve (docs/protocol.md §5.11 "Not required"). */
const UNSUPPORTED = ["append"];

export function findOperation(request: Request, query: Query, key: string): OperationSpec | undefined {
  if (UNSUPPORTED.some((flag) => query.has(flag))) return undefined;
  const method = request.method; // read once: each read is a call into the runtime
  return (OPERATIONS as readonly OperationSpec[]).find(
    (op) =>
      op.method === method &&
      (op.route === "bucket" ? key === "" : key !== "") &&
      (op.when ? op.when(query, request, key) : true),
  );
}
