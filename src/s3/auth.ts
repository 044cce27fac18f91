import type { CredentialForm } from "../auth/forms";
import type { Env } from "../config";
import { ApiError } from "../errors";
import { lookupKey } from "../auth/credentials";
import type { KeyPair, Principal } from "../auth/principal";
import { sigV4Form, verifySigV4, type VerifiedSigV4 } from "./sigv4";

/**
 * S3 credentials → principal, through the key source every front shares (src/auth): the root
 * pair is the root access key, a token's `TOKEN_<id>` / private key pair an access key with the
 * token's scope. No credentials → anonymous (the operation table says where that is enough).
 */

export interface S3Auth {
  form: CredentialForm;
  principal: Principal;
  verified: VerifiedSigV4<Principal> | null;
}

/** The key pair behind an access key id (POST policy forms sign with it), or InvalidAccessKeyId. */
export async function authenticateKey(accessKeyId: string, env: Env): Promise<KeyPair> {
  const found = await lookupKey(accessKeyId, env);
  if (!found) throw new ApiError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  return found;
}

export async function authenticateS3(request: Request, url: URL, env: Env, now: number): Promise<S3Auth> {
  const form = sigV4Form(request, url);
  if (form === null) {
    const auth = request.headers.get("Authorization");
    if ((auth !== null && auth.trim() !== "") || url.searchParams.has("AWSAccessKeyId")) {
      throw new ApiError("InvalidArgument", "Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is supported; configure the client for SigV4 (boto3: signature_version=\"s3v4\").");
    }
    return { form: "anonymous", principal: { kind: "anonymous" }, verified: null };
  }
  const verified = await verifySigV4<Principal>(request, url, form, (id) => lookupKey(id, env), now);
  return { form, principal: verified.principal, verified };
}
