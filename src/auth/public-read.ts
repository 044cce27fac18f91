/**
 * Whether anyone may read an object without credentials, for every front (UFile and S3): the object's
 * ACL decides when it says so (`public-read` opens one object of a private bucket, `private` closes one
 * of a public bucket); `default` follows the bucket's type. Only reads (GET, HEAD) are ever anonymous.
 */
export function publiclyReadable(bucketType: string, objectAcl: string | undefined): boolean {
  if (objectAcl === "public-read") return true;
  if (objectAcl === "private") return false;
  return bucketType === "public";
}
