import { ApiError } from "../errors";
import { storedTextHeader } from "../core/metadata";
import { assertValidKey } from "../core/keys";
import { deleteBlobs, newBlobId, putBlobOfUnknownLength } from "../store/blobs";
import { checkAccess } from "./access";
import { assertNotOwing } from "../metering/quotas";
import type { DataContext } from "./context";
import { etagFromBlocks, hashingStream, UFileHasher } from "../core/etag";
import { parseContentMd5, publish } from "./files";
import { checkBeforeFile, parseUploadForm } from "../core/form";
import { requestedStorageClass, requestedUserMeta } from "../core/object-headers";
import { requestedAcl } from "./object-acl";
import { safeEqual, toHex } from "../crypto";

/**
 * PostFile: `POST /` multipart form upload (spec 000 §7, docs/protocol.md §5.4). The form carries
 * the key (`FileName`) and the credentials (`Authorization`), so access is checked here, after
 * the small fields and before a byte of the file is stored (a refusal drains the file part first,
 * bounded, so the client gets the answer). The file part streams into R2.
 */
export async function postFile(c: DataContext): Promise<Response> {
  if (!c.request.body) throw new ApiError("MalformedForm", "empty body");
  const form = await parseUploadForm(c.request.body, c.request.headers.get("Content-Type") ?? "");
  const key = form.fields.get("FileName") ?? "";
  const formContentType = form.fields.get("Content-Type") ?? null;
  const formMd5 = form.fields.get("Content-MD5") ?? null;
  // Everything the answer needs is checked before a byte is stored; a refusal drains the file part first.
  const { meta, md5 } = await checkBeforeFile(form.file, async () => {
    if (!key) throw new ApiError("MalformedForm", "the form has no FileName field");
    await checkAccess(c, c.operation, {
      signedKeys: [key],
      target: { key },
      form: {
        authorization: form.fields.get("Authorization") ?? null,
        contentType: formContentType,
        fileContentType: form.file.contentType,
        contentMd5: formMd5,
      },
    });
    assertValidKey(key);
    assertNotOwing(c.bucket);
    return {
      meta: {
        mime: storedTextHeader("Content-Type", formContentType || form.file.contentType || "application/octet-stream"),
        storageClass: requestedStorageClass(c.request.headers, "STANDARD"),
        userMeta: requestedUserMeta(c.request.headers),
        acl: requestedAcl(c.request.headers, c.bucket),
      },
      md5: parseContentMd5(c.request.headers.get("Content-MD5") ?? formMd5),
    };
  });
  const hasher = new UFileHasher({ md5: md5 !== undefined });
  const blobId = newBlobId();
  const s3Etag = await putBlobOfUnknownLength(c.env, blobId, form.file.stream.pipeThrough(hashingStream(hasher)), meta.storageClass);
  const hashed = await hasher.finish();
  if (md5 && !safeEqual(toHex(hashed.md5!), toHex(md5))) {
    await deleteBlobs(c.env, [blobId]); // never referenced by any row
    throw new ApiError("ContentMd5Mismatch");
  }
  return publish(c, key, { id: blobId, size: hashed.size, etag: await etagFromBlocks(hashed.blockSha1s), s3Etag }, meta);
}
