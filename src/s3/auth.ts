import type { CredentialForm } from "../auth/forms";
import type { Env } from "../config";
import { ApiError } from "../errors";
import { lookupKey } from "../auth/credentials";
import type { KeyPair, Principal } from "../auth/principal";
import type { S3Address } from "./context";
import { sigV2Form, verifySigV2 } from "./sigv2";
import { sigV4Form, verifySigV4, type VerifiedSigV4 } from "./sigv4";

/**
 * S3 credentials → principal, through the key source every front shares (src/auth): the root
 * pair is the root access key, a token's `TOKEN_<id>` / private key pair an access key with the
 * token's scope. No credentials → anonymous (the operation table says where that is enough).
 */

export interface S3Auth {
  form: CredentialForm;
  principal: Principal;
  /** The SigV4 signature (null for anonymous and SigV2 requests). */
  verified: VerifiedSigV4<Principal> | null;
  /** SigV2 (src/s3/sigv2.ts): it signs every x-amz-* header, so no operation header is unsigned. */
  v2?: true;
}

/** The key pair behind an access key id (POST policy forms sign with it), or InvalidAccessKeyId. */
export async function authenticateKey(accessKeyId: string, env: Env): Promise<KeyPair> {
  const found = await lookupKey(accessKeyId, env);
  if (!found) throw new ApiError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  return found;
}

export async function authenticateS3(request: Request, url: URL, env: Env, now: number, address: S3Address): Promise<S3Auth> {
  const form = sigV4Form(request, url);
  if (form === null) {
    const v2 = sigV2Form(request, url);
    if (v2 !== null) {
      const resource = { bucket: address.bucket, virtual: address.style === "virtual" };
      const verified = await verifySigV2<Principal>(request, url, v2, resource, (id) => lookupKey(id, env), now);
      return { form: v2, principal: verified.principal, verified: null, v2: true };
    }
    const auth = request.headers.get("Authorization");
    if (auth !== null && auth.trim() !== "") {
      throw new ApiError("InvalidArgument", "Unsupported Authorization Type: sign with AWS Signature Version 4 (AWS4-HMAC-SHA256) or 2 (AWS).");
    }
    return { form: "anonymous", principal: { kind: "anonymous" }, verified: null };
  }
  const verified = await verifySigV4<Principal>(request, url, form, (id) => lookupKey(id, env), now);
  return { form, principal: verified.principal, verified };
}
