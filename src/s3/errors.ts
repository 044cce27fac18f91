import { ApiError, S3_CODES, type ErrorName, type S3Code } from "../errors";
import { xmlDocument } from "./xml";

/**
 * The S3 renderer of the one error table (src/errors.ts, its `S3_CODES` column):
 * `<Error><Code/><Message/><Resource/><RequestId/></Error>` with S3's status. HEAD answers carry
 * no body (S3 clients then read the status alone); 304 never has one.
 */

/** An ApiError for the S3 front; same class as everywhere, so shared code's errors render too. */
export const s3Error = (name: ErrorName, detail?: string, headers?: Record<string, string>): ApiError =>
  new ApiError(name, detail, headers);

/** The S3 code and status of an error. */
export function s3CodeOf(err: ApiError): { code: string; status: number } {
  const entry: S3Code | undefined = S3_CODES[err.name as ErrorName];
  return { code: entry?.code ?? "InternalError", status: entry?.status ?? err.entry.status };
}

/** The message S3 clients show: the detail when there is one, else the table's English text. */
const messageOf = (err: ApiError): string => err.detail ?? err.entry.en;

export function s3ErrorResponse(err: ApiError, method: string, resource: string, requestId: string): Response {
  const { code, status } = s3CodeOf(err);
  const headers = new Headers(err.headers);
  headers.set("x-amz-request-id", requestId);
  if (method === "HEAD" || status === 304) return new Response(null, { status, headers });
  headers.set("Content-Type", "application/xml");
  const body = xmlDocument(
    ["Error", ["Code", code], ["Message", messageOf(err)], ["Resource", resource], ["RequestId", requestId]],
    false,
  );
  return new Response(body, { status, headers });
}
