import { ApiError } from "../errors";
import { listObjects as listRows } from "../store/objects";
import { listPage } from "../core/listing";
import { wholeNumberParam, type DataContext } from "./context";
import { parseUserMeta, restoreStatus } from "../core/object-headers";
import { json } from "../responses";

/** PrefixFileList (`?list`) and ListObjects (`?listobjects`): spec 000 §5, docs/protocol.md §5.10. */

export async function prefixFileList(c: DataContext): Promise<Response> {
  const prefix = c.query.get("prefix") ?? "";
  const marker = c.query.get("marker") ?? "";
  // Default 20 (spec); capped at 1000 rather than refused, as a paging client expects.
  const limit = wholeNumberParam(c, "limit", { fallback: 20, max: 1000, aboveMax: "cap" });
  const rows = await listRows(c.db, c.bucket.id, { prefix, after: marker, limit: limit + 1 });
  const page = rows.slice(0, limit);
  return json({
    BucketName: c.bucket.name,
    BucketId: c.bucket.id,
    NextMarker: rows.length > limit && page.length > 0 ? page[page.length - 1].key : "",
    DataSet: page.map((r) => ({
      BucketName: c.bucket.name,
      FileName: r.key,
      Hash: r.etag,
      MimeType: r.mime,
      Size: r.size,
      CreateTime: r.createdAt,
      ModifyTime: r.modifiedAt,
      StorageClass: r.storageClass,
      RestoreStatus: restoreStatus(r, c.now),
    })),
  });
}

export async function listObjects(c: DataContext): Promise<Response> {
  const prefix = c.query.get("prefix") ?? "";
  const marker = c.query.get("marker") ?? "";
  const delimiter = c.query.get("delimiter") ?? "";
  if (delimiter !== "" && delimiter !== "/") throw new ApiError("InvalidRequest", 'delimiter is "" or "/"');
  const maxKeys = wholeNumberParam(c, "max-keys", { fallback: 100, max: 1000, aboveMax: "refuse" });
  const { entries, truncated } = await listPage(c.db, c.bucket.id, { prefix, marker, delimiter, maxKeys });
  const last = entries[entries.length - 1];
  return json({
    Name: c.bucket.name,
    Prefix: prefix,
    MaxKeys: String(maxKeys),
    Delimiter: delimiter,
    IsTruncated: truncated,
    NextMarker: truncated && last ? ("row" in last ? last.row.key : last.commonPrefix) : "",
    Contents: entries.flatMap((e) =>
      "row" in e
        ? [
            {
              Key: e.row.key,
              MimeType: e.row.mime,
              ETag: e.row.etag,
              Size: String(e.row.size),
              StorageClass: e.row.storageClass,
              LastModified: e.row.modifiedAt,
              CreateTime: e.row.createdAt,
              UserMeta: parseUserMeta(e.row.userMeta),
            },
          ]
        : [],
    ),
    CommonPrefixes: entries.flatMap((e) => ("commonPrefix" in e ? [{ Prefix: e.commonPrefix }] : [])),
  });
}
