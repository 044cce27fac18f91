import { ApiError } from "../errors";
import { partsOf, partsPage } from "../core/object-parts";
import { httpDate } from "../dates";
import type { S3Context } from "./context";
import { existing } from "./objects";
import { s3StorageClass } from "./object-headers";
import { checksumElement, parseStoredChecksum } from "./stored-checksums";
import { xmlResponse, type XmlChild } from "./xml";

/**
 * GetObjectAttributes (`GET /<bucket>/<key>?attributes`): what `x-amz-object-attributes` names of
 * ETag (unquoted, as S3 answers it here), Checksum, ObjectParts (multipart objects only: their
 * parts from the index row, paged by `x-amz-max-parts` and `x-amz-part-number-marker`),
 * StorageClass and ObjectSize, read from the index without touching R2.
 */

const ATTRIBUTES = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"] as const;
type Attribute = (typeof ATTRIBUTES)[number];

function requestedAttributes(headers: Headers): Set<Attribute> {
  const raw = headers.get("x-amz-object-attributes") ?? "";
  const names = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new ApiError("InvalidArgument", "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty");
  for (const n of names) if (!(ATTRIBUTES as readonly string[]).includes(n)) throw new ApiError("InvalidArgument", `Invalid attribute name specified: ${n}`);
  return new Set(names as Attribute[]);
}

function wholeNumberHeader(headers: Headers, name: string, fallback: number, max: number): number {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === "") return fallback;
  if (!/^\d{1,9}$/.test(raw.trim())) throw new ApiError("InvalidArgument", `${name} must be a whole number`);
  return Math.min(Number(raw.trim()), max);
}

export async function getObjectAttributes(c: S3Context): Promise<Response> {
  const wanted = requestedAttributes(c.request.headers);
  const row = await existing(c); // an SSE-C object's attributes need its key, as S3
  const out: XmlChild[] = [];
  if (wanted.has("ETag")) out.push(["ETag", row.s3Etag || row.etag]);
  const checksum = parseStoredChecksum(row.checksum);
  if (wanted.has("Checksum") && checksum) out.push(["Checksum", [checksumElement(checksum.algorithm), checksum.value], ["ChecksumType", checksum.type]]);
  const parts = partsOf(row);
  if (wanted.has("ObjectParts") && parts.multipart) {
    const max = wholeNumberHeader(c.request.headers, "x-amz-max-parts", 1000, 1000);
    const marker = wholeNumberHeader(c.request.headers, "x-amz-part-number-marker", 0, 10_000);
    const { page, truncated } = partsPage(parts, marker, max);
    out.push([
      "ObjectParts",
      ["PartsCount", parts.count],
      ["PartNumberMarker", marker],
      ["NextPartNumberMarker", page.length > 0 ? page[page.length - 1].number : marker],
      ["MaxParts", max],
      ["IsTruncated", truncated],
      page.map((p) => ["Part", ["PartNumber", p.number], ["Size", p.size], checksum && p.checksum ? [checksumElement(checksum.algorithm), p.checksum] : []]),
    ]);
  }
  if (wanted.has("StorageClass")) out.push(["StorageClass", s3StorageClass(row.storageClass)]);
  if (wanted.has("ObjectSize")) out.push(["ObjectSize", row.size]);
  const response = xmlResponse(["GetObjectAttributesResponse", out]);
  response.headers.set("Last-Modified", httpDate(row.modifiedAt));
  return response;
}
