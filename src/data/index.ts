import { settings, type Env } from "../config";
import { ApiError } from "../errors";
import { bucketFromHost } from "./host";

/** Data plane entry: `<bucket>.<FILE_DOMAIN>` requests. */
export async function handleData(request: Request, url: URL, env: Env, _ctx: ExecutionContext): Promise<Response> {
  const s = settings(env);
  const bucketName = bucketFromHost(url, s);
  if (bucketName === null) {
    throw new ApiError(
      "BucketNotExist",
      `host ${url.hostname} names no bucket: use <bucket>.${s.fileDomain} for files, or an Action parameter for the control plane`,
    );
  }
  void request;
  throw new ApiError("InvalidRequest", "the data plane is not implemented yet");
}
