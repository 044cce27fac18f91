// The feature a ceph/s3-tests test belongs to, from its name: the first rule that matches wins, so
// the specific features come before the broad ones. Used by ./run.mjs for its table and by docs/s3.md.
export const FEATURES = [
  { name: "versioning", re: /versioning|versioned|delete_marker|object_versions|versionid|version_id/ },
  { name: "object lock", re: /object_lock|retention|legal_hold/ },
  { name: "bucket logging", re: /logging/ },
  { name: "POST policy", re: /post_object/ },
  { name: "bucket policy", re: /policy|block_public|public_access|ownership/ },
  { name: "lifecycle", re: /lifecycle|restore|transition|read_through|cloud/ },
  { name: "encryption", re: /sse|encrypt|kms|_enc$/ },
  { name: "cors", re: /cors/ },
  { name: "tagging", re: /tagging|_tags?(_|$)/ },
  { name: "acl", re: /acl|grant|access_bucket|public|anon/ },
  { name: "checksums", re: /checksum/ },
  { name: "multipart", re: /multipart|upload_part|_parts?\b|_part_/ },
  { name: "copy", re: /copy/ },
  { name: "conditional", re: /_if_|ifmatch|ifnonematch|ifnonmatch|ifmodified|ifunmodified|conditional/ },
  { name: "ranges", re: /^ranged_|range_request/ },
  { name: "listing", re: /list/ },
  { name: "bucket naming", re: /naming|bucket_name|bucket_create|create_bucket|bucket_recreate/ },
  { name: "auth", re: /raw|presigned|auth|signature|expires|_v2|aws2|aws4|bad_|date|md5|content_?length|useragent|authorization/ },
  { name: "metadata", re: /metadata|meta|header|content_type|cache_control|response_/ },
  { name: "buckets", re: /bucket/ },
  { name: "objects", re: /./ },
];

/** `test_foo[param]` → its feature's name. */
export function featureOf(test) {
  const name = test.replace(/\[.*$/, "").replace(/^test_/, "");
  return FEATURES.find((f) => f.re.test(name)).name;
}
