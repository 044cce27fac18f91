import { Router, type IRequest } from "itty-router";
import type { Env } from "../config";
import { ApiError } from "../errors";
import { asApiError } from "../responses";
import { claimAdminSignature } from "../store/admin-signatures";
import { bucketByName, forgetBucket } from "../store/buckets";
import { database } from "../store/db";
import { advanceMove, cancelMove, describeRanges, MoveRefused, startMove, stepOf, type RangeState } from "../store/range-move";
import { Params } from "./params";
import { verifyControlSignature } from "./signature";

/**
 * The operator's admin surface (docs/operations.md "Splitting a bucket"): path routes under
 * `/_admin/`, served only on a host that names no bucket (src/front.ts; `_` cannot start a bucket
 * name, so no path-style S3 bucket is shadowed). Routed with itty-router: unlike the data fronts,
 * whose operations are chosen by parameters and headers on one path per key (docs/design.md §2),
 * these are a few path routes on the service's own host, called rarely.
 *
 * Every call is signed by the root key like a control-plane call (docs/protocol.md §3.2), over its
 * parameters plus `Route` = `<METHOD> <path>` (not sent: the server adds it, so a signature is good
 * for one route only), and carries `Expires` (unix seconds, at most 15 minutes ahead). Each signed
 * call is served once (its signature is recorded until its `Expires`, store/admin-signatures.ts), so
 * a captured call cannot be sent again; a client that repeats a call signs it anew, with a `Nonce`
 * parameter when nothing else differs. Token keys are refused.
 *
 * - `GET /_admin/buckets/<bucket>/ranges`: the bucket's key ranges with their shard and move state.
 * - `POST /_admin/buckets/<bucket>/split?At=<key>&To=<shard>[&Batches=<n>]`: makes `[At, end)` a range
 *   and moves it to shard `To` (store/range-move.ts), doing at most `Batches` batches (default 20) in
 *   this call; the answer says what is left (`State`: copying, waiting, draining or idle). Calling it
 *   again resumes the move; `To` equal to the range's shard only splits. Refused while another move
 *   of the bucket is unfinished (one at a time per bucket).
 * - `POST /_admin/buckets/<bucket>/moves/cancel[?Batches=<n>]`: cancels the bucket's move before its
 *   switch (store/range-move.ts `cancelMove`) and removes its partial copy, at most `Batches` batches
 *   in this call (`Range` with `Cancelled: true` and the `State` left; calling again resumes); `Range`
 *   null when the bucket has no move. Refused once the move has switched (only its drain is left).
 */
const MAX_EXPIRES_AHEAD = 900;
/** Each batch is a handful of D1 calls: this keeps one request well under the Worker's subrequest limit. */
const MAX_BATCHES = 50;

type AdminRequest = IRequest & { params: { bucket: string } };

const router = Router<AdminRequest, [env: Env, params: Params]>({ base: "/_admin" });

router.get("/buckets/:bucket/ranges", async (req, env) => {
  const bucket = await bucketNamed(env, req.params.bucket);
  return ok({ Bucket: bucket.name, BucketId: bucket.id, Ranges: shown(await describeRanges(database(env.DB), bucket.id), now()) });
});

router.post("/buckets/:bucket/split", async (req, env, params) => {
  const bucket = await bucketNamed(env, req.params.bucket);
  const at = params.str("At");
  if (at === undefined) throw new ApiError("MissingParameter", "At");
  const to = params.required("To");
  const batches = batchesOf(params);
  return refusedAsError(async () => {
    await startMove(database(env.DB), bucket.id, at, to);
    const range = await advanceMove(env, bucket.id, at, now(), batches);
    return ok({ Bucket: bucket.name, BucketId: bucket.id, Range: shown([range], now())[0] });
  });
});

router.post("/buckets/:bucket/moves/cancel", async (req, env, params) => {
  const bucket = await bucketNamed(env, req.params.bucket);
  const batches = batchesOf(params);
  return refusedAsError(async () => {
    const range = await cancelMove(env, bucket.id, now(), batches);
    return ok({ Bucket: bucket.name, BucketId: bucket.id, Range: range && shown([range], now())[0] });
  });
});

function batchesOf(params: Params): number {
  const batches = Math.min(Number(params.str("Batches") ?? "20"), MAX_BATCHES);
  if (!Number.isInteger(batches) || batches < 0) throw new ApiError("InvalidParameter", `Batches must be a whole number ≤ ${MAX_BATCHES}`);
  return batches;
}

/** A move the store refuses (store/range-move.ts `MoveRefused`) is the caller's error, with its reason. */
async function refusedAsError(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof MoveRefused) throw new ApiError("InvalidParameter", err.message);
    throw err;
  }
}

const now = () => Math.floor(Date.now() / 1000);

const shown = (ranges: RangeState[], at: number) =>
  ranges.map((r) => ({
    Start: r.start,
    End: r.end,
    Shard: r.shard,
    MoveTo: r.moveTo,
    CopiedUpTo: r.copyAfter,
    DrainShard: r.drainShard,
    DrainAfter: r.drainAfter,
    Cancelled: r.cancelled,
    State: stepOf(r, at),
  }));

async function bucketNamed(env: Env, name: string) {
  forgetBucket(name);
  const bucket = await bucketByName(database(env.DB), name);
  if (!bucket) throw new ApiError("BucketNotFound", name);
  return bucket;
}

const ok = (fields: Record<string, unknown>) => Response.json({ RetCode: 0, ...fields });

/** Serves one admin request (the "admin" row of src/front.ts). */
export async function handleAdmin(request: Request, url: URL, params: Params, env: Env): Promise<Response> {
  try {
    await verifyAdminSignature(request, url, params, env);
    const response = await router.fetch(request as AdminRequest, env, params);
    if (!response) throw new ApiError("InvalidRequest", `no admin route ${request.method} ${url.pathname}`);
    return response;
  } catch (thrown) {
    const err = asApiError(thrown);
    return Response.json({ RetCode: err.entry.code, Message: err.message }, { status: err.entry.status });
  }
}

async function verifyAdminSignature(request: Request, url: URL, params: Params, env: Env): Promise<void> {
  const expires = Number(params.str("Expires"));
  const at = now();
  if (!Number.isInteger(expires) || expires < at || expires > at + MAX_EXPIRES_AHEAD) {
    throw new ApiError("TokenExpires", `Expires must be unix seconds between now and ${MAX_EXPIRES_AHEAD} s ahead`);
  }
  const signed = new Map(params.raw);
  signed.set("Route", `${request.method} ${url.pathname}`);
  await verifyControlSignature(new Params(signed), env);
  // Verified (so only the key's holder can fill the table), then recorded: a second use is a replay.
  if (!(await claimAdminSignature(database(env.DB), params.str("Signature")!.toLowerCase(), expires))) {
    throw new ApiError("TokenExpires", "this signed admin call was already served: sign each call anew (a new Nonce or Expires)");
  }
}
