import { ApiError } from "../errors";
import { bucketRules, setDefaultEncryption, type DefaultEncryption } from "../store/rules";
import { servedBucket, type S3Context } from "./context";
import { childrenNamed, childText, malformedXml, readXmlDocument, xmlResponse, type XmlElement } from "./xml";

/**
 * S3 Put/Get/DeleteBucketEncryption (`?encryption`; docs/s3.md "Encryption"): the bucket's default
 * encryption, kept in the one rule store (src/store/rules.ts). Only SSE-S3 (`AES256`) is taken: R2
 * encrypts every object at rest with AES-256, so every object, in any bucket, is stored as SSE-S3
 * promises and its answers say so (src/s3/index.ts). SSE-KMS has no key service behind it here and
 * answers NotImplemented, never a false success.
 */

const MAX_BODY = 64 * 1024;

/** SSE-KMS algorithms S3 knows: refused as not implemented, where an unknown one is malformed. */
const KMS_ALGORITHMS = new Set(["aws:kms", "aws:kms:dsse"]);

function parseConfiguration(root: XmlElement): DefaultEncryption {
  const rules = childrenNamed(root, "Rule");
  if (rules.length !== 1) throw malformedXml("a ServerSideEncryptionConfiguration takes exactly one <Rule>");
  const rule = rules[0]!;
  const byDefault = childrenNamed(rule, "ApplyServerSideEncryptionByDefault");
  if (byDefault.length !== 1) throw malformedXml("the <Rule> needs one <ApplyServerSideEncryptionByDefault>");
  const algorithm = childText(byDefault[0]!, "SSEAlgorithm");
  if (algorithm !== undefined && KMS_ALGORITHMS.has(algorithm)) {
    throw new ApiError("NotImplemented", `SSEAlgorithm ${algorithm} is not implemented: there is no key management service; use AES256 (R2 encrypts every object at rest)`);
  }
  if (algorithm !== "AES256") throw malformedXml("<SSEAlgorithm> must be AES256, aws:kms or aws:kms:dsse");
  if (childText(byDefault[0]!, "KMSMasterKeyID") !== undefined) {
    throw new ApiError("InvalidArgument", "a KMSMasterKeyID is only allowed with the aws:kms algorithm");
  }
  const bucketKey = childText(rule, "BucketKeyEnabled");
  if (bucketKey !== undefined && bucketKey !== "true" && bucketKey !== "false") throw malformedXml("<BucketKeyEnabled> must be true or false");
  return { algorithm, bucketKeyEnabled: bucketKey === "true" };
}

export async function putBucketEncryption(c: S3Context): Promise<Response> {
  const root = await readXmlDocument(c.request, MAX_BODY, "ServerSideEncryptionConfiguration");
  await setDefaultEncryption(c.db, servedBucket(c), parseConfiguration(root), c.now);
  return new Response(null, { status: 200 });
}

export async function getBucketEncryption(c: S3Context): Promise<Response> {
  const encryption = bucketRules(servedBucket(c)).encryption;
  if (!encryption) throw new ApiError("ServerSideEncryptionConfigurationNotFound");
  return xmlResponse([
    "ServerSideEncryptionConfiguration",
    ["Rule", ["ApplyServerSideEncryptionByDefault", ["SSEAlgorithm", encryption.algorithm]], ["BucketKeyEnabled", encryption.bucketKeyEnabled]],
  ]);
}

export async function deleteBucketEncryption(c: S3Context): Promise<Response> {
  await setDefaultEncryption(c.db, servedBucket(c), null, c.now);
  return new Response(null, { status: 204 });
}
