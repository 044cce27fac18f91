import type { DataContext, Query } from "./context";
import type { AccessCheck } from "./access";
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
} from "./multipart";
import { classSwitch, copy, copySourceRef, opMeta, rename, restore, uploadHit, uploadHitParams } from "./object-ops";
import { postFile } from "./post-file";
import type { Operation } from "./scope";

/**
 * The data-plane operation table (PROTOCOL.md §1.4): method + sub-resource → operation.
 * The first row that matches wins, so more specific rows come first. A flag is a bare query
 * name (`?uploads`): its presence counts, not its value.
 */
export interface OperationSpec {
  name: Operation;
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  /** `object`: the path names a key (required); `bucket`: the path is `/`. */
  route: "object" | "bucket";
  when?: (q: Query, request: Request, key: string) => boolean;
  run: (c: DataContext) => Promise<Response>;
  /** What is signed and what the rights apply to; default: the key itself. */
  access?: (c: DataContext) => Promise<AccessCheck> | AccessCheck;
  /** PostFile carries its credentials inside the body: the handler checks access itself. */
  accessInHandler?: boolean;
}

const has = (...names: string[]) => (q: Query) => names.every((n) => q.has(n));
const copyHeader = (_q: Query, r: Request) => r.headers.has("X-Ufile-Copy-Source");
const isForm = (_q: Query, r: Request) => (r.headers.get("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data");

/** Listings sign `/bucket/` and are authorized on their `prefix`. */
const listing = (c: DataContext): AccessCheck => ({ signedKeys: [""], target: { listPrefix: c.query.get("prefix") ?? "" } });

export const OPERATIONS: OperationSpec[] = [
  { name: "PrefixFileList", method: "GET", route: "bucket", when: has("list"), run: prefixFileList, access: listing },
  {
    name: "ListObjects",
    method: "GET",
    route: "bucket",
    when: has("listobjects"),
    run: listObjects,
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
  { name: "GetMultiUploadPart", method: "GET", route: "bucket", when: has("muploadpart"), run: getMultiUploadPart, access: listPartsAccess },
  { name: "GetMultiUploadId", method: "GET", route: "bucket", when: has("muploadid"), run: getMultiUploadId, access: listing },
  { name: "PostFile", method: "POST", route: "bucket", when: isForm, run: postFile, accessInHandler: true },
  {
    name: "UploadHit",
    method: "POST",
    route: "object",
    when: (q, _r, key) => key === "uploadhit" && q.has("Hash"),
    run: uploadHit,
    access: (c) => {
      const { fileName } = uploadHitParams(c);
      return { signedKeys: [fileName, "uploadhit"], target: { key: fileName } };
    },
  },
  { name: "InitiateMultipartUpload", method: "POST", route: "object", when: has("uploads"), run: initiateMultipartUpload },
  // Finish authorizes WRITE on the key it publishes under: newKey when that applies.
  { name: "FinishMultipartUpload", method: "POST", route: "object", when: has("uploadId"), run: finishMultipartUpload, access: finishAccess },
  { name: "OpMeta", method: "POST", route: "object", when: has("opmeta"), run: opMeta },
  // Any PUT naming an upload is a part (a missing partNumber is refused), never a PutFile over the key.
  { name: "UploadPart", method: "PUT", route: "object", when: has("uploadId"), run: uploadPart },
  { name: "Restore", method: "PUT", route: "object", when: has("restore"), run: restore },
  { name: "ClassSwitch", method: "PUT", route: "object", when: has("storageClass"), run: classSwitch },
  {
    name: "Rename",
    method: "PUT",
    route: "object",
    when: has("newFileName"),
    run: rename,
    access: (c) => ({ signedKeys: [c.key], target: { key: c.key, newKey: c.query.get("newFileName") ?? "" } }),
  },
  {
    name: "Copy",
    method: "PUT",
    route: "object",
    when: copyHeader,
    run: copy,
    access: async (c) => ({ signedKeys: [c.key], target: { key: c.key, source: await copySourceRef(c) } }),
  },
  { name: "PutFile", method: "PUT", route: "object", run: putFile },
  { name: "GetFile", method: "GET", route: "object", run: getFile },
  { name: "HeadFile", method: "HEAD", route: "object", run: headFile },
  { name: "AbortMultipartUpload", method: "DELETE", route: "object", when: has("uploadId"), run: abortMultipartUpload },
  { name: "DeleteFile", method: "DELETE", route: "object", run: deleteFile },
];

/** Sub-resources some SDKs know but edgefile does not serve (PROTOCOL.md §5.11 "Not required"). */
const UNSUPPORTED = ["acl", "tagging", "append"];

export function findOperation(request: Request, query: Query, key: string): OperationSpec | undefined {
  if (UNSUPPORTED.some((flag) => query.has(flag))) return undefined;
  return OPERATIONS.find(
    (op) =>
      op.method === request.method &&
      (op.route === "bucket" ? key === "" : key !== "") &&
      (op.when ? op.when(query, request, key) : true),
  );
}
