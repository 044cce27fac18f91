import { ApiError } from "../errors";
import type { ServedBucket } from "../store/buckets";

/**
 * `x-amz-expected-bucket-owner` (the addressed bucket) and `x-amz-source-expected-bucket-owner` (a
 * CopyObject or UploadPartCopy source): the account, here the project, the client expects to own
 * that bucket. Another owner → 403 AccessDenied before anything is read or written.
 */
export function checkExpectedOwner(headers: Headers, header: "x-amz-expected-bucket-owner" | "x-amz-source-expected-bucket-owner", bucket: Pick<ServedBucket, "projectId">): void {
  const expected = headers.get(header);
  if (expected !== null && expected !== bucket.projectId) {
    throw new ApiError("AccessDenied", `Access Denied: the ${header === "x-amz-expected-bucket-owner" ? "bucket" : "copy source bucket"} is not owned by the expected bucket owner`);
  }
}
