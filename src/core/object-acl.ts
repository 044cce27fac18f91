/**
 * The object ACLs both fronts speak (UFile `x-ufile-object-acl`, S3 canned ACLs), stored in the
 * object's index row. `default` follows the bucket (public bucket: anyone may read);
 * `public-read` lets anyone GET and HEAD the object even in a private bucket; `private` needs a
 * signature even in a public bucket.
 */
export const OBJECT_ACLS = ["default", "public-read", "private"] as const;
export type ObjectAcl = (typeof OBJECT_ACLS)[number];

/** A stored ACL (an upload's `acl` column) as an ObjectAcl; "" or anything else: none. */
export const objectAclOf = (stored: string): ObjectAcl | undefined => (OBJECT_ACLS as readonly string[]).includes(stored) ? (stored as ObjectAcl) : undefined;
