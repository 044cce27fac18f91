/**
 * How a request carries its credentials, on every front: `header` (an `Authorization` header),
 * `query` (a presigned URL), `form` (a browser form upload's policy fields) or `anonymous` (none).
 * Each operation-table row lists the forms that may authorize it.
 */
export type CredentialForm = "header" | "query" | "form" | "anonymous";

/** The forms a request signature travels in (UFile and SigV4 alike). */
export type SignatureForm = Extract<CredentialForm, "header" | "query">;
