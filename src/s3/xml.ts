/**
 * XML for the S3 front, written here rather than taken from a library (docs/s3.md "XML"):
 *
 * - Writing: S3 responses are small, flat documents built from known fields; a tagged tree and
 *   one escaping function produce them with no dependency.
 * - Reading: S3's request bodies (CompleteMultipartUpload, Delete, CreateBucketConfiguration,
 *   tagging, ACL, lifecycle and CORS configuration) are each a shallow list of simple elements. The general-purpose
 *   parsers that run on Workers (fast-xml-parser, ~100 KB bundled; sax) parse much more than
 *   that, and neither bounds depth. The parser below reads elements, text and CDATA, skips the
 *   declaration, comments and processing instructions, decodes the five entities and numeric
 *   references, refuses DOCTYPEs (no entity expansion), and refuses anything nested deeper than
 *   `MAX_DEPTH`. Callers read the body with a byte bound first (`readXmlDocument` does both).
 */

import { readBounded } from "../body";
import { ApiError } from "../errors";
import { verifyContentMd5 } from "./content-md5";

// ───────────────────────── writer ─────────────────────────

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Escapes text and attribute values; control characters XML 1.0 cannot carry become numeric references S3 also uses. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`);
}

/** An element: name, and children (text, numbers, booleans, nested elements, or lists of them). */
export type XmlNode = [name: string, ...children: XmlChild[]];
export type XmlChild = XmlNode | string | number | boolean | null | undefined | XmlChild[];

const isNode = (c: XmlChild): c is XmlNode => Array.isArray(c) && typeof c[0] === "string" && c.length >= 1 && !Array.isArray(c[0]);

function writeChild(c: XmlChild, out: string[]): void {
  if (c === null || c === undefined) return;
  if (typeof c === "string") out.push(escapeXml(c));
  else if (typeof c === "number" || typeof c === "boolean") out.push(String(c));
  else if (isNode(c)) writeNode(c, out);
  else for (const item of c) writeChild(item, out);
}

/** `name` may carry attributes written by the caller (`Grantee xsi:type="Group"`); the end tag takes the bare name. */
function writeNode([name, ...children]: XmlNode, out: string[]): void {
  out.push(`<${name}>`);
  for (const c of children) writeChild(c, out);
  out.push(`</${name.split(" ", 1)[0]}>`);
}

const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** A complete document: declaration, the root element in S3's namespace (unless `namespace` is false). */
export function xmlDocument(root: XmlNode, namespace = true): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  const [name, ...children] = root;
  out.push(namespace ? `<${name} xmlns="${S3_NAMESPACE}">` : `<${name}>`);
  for (const c of children) writeChild(c, out);
  out.push(`</${name}>`);
  return out.join("");
}

export function xmlResponse(root: XmlNode, status = 200, headers?: HeadersInit, namespace = true): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/xml");
  const bytes = new TextEncoder().encode(xmlDocument(root, namespace));
  h.set("Content-Length", String(bytes.byteLength));
  return new Response(bytes, { status, headers: h });
}

// ───────────────────────── parser ─────────────────────────

export interface XmlElement {
  name: string;
  children: XmlElement[];
  /** Concatenated text directly inside the element. */
  text: string;
}

export const MAX_DEPTH = 16;

export class XmlParseError extends Error {}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, body: string) => {
    if (body[0] === "#") {
      const cp = body[1] === "x" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff) throw new XmlParseError(`bad character reference ${whole}`);
      return String.fromCodePoint(cp);
    }
    const v = ENTITIES[body];
    if (v === undefined) throw new XmlParseError(`unknown entity ${whole}`);
    return v;
  });
}

/** Local name: `s3:Part` → `Part` (namespaces are not checked, as S3 itself tolerates their absence). */
const localName = (qname: string) => qname.slice(qname.indexOf(":") + 1);

/** Parses a document into its root element. Throws XmlParseError on malformed or too-deep input. */
export function parseXml(input: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let i = 0;
  const n = input.length;
  while (i < n) {
    const lt = input.indexOf("<", i);
    const text = input.slice(i, lt < 0 ? n : lt);
    if (text.trim() !== "") {
      if (stack.length === 0) throw new XmlParseError("text outside the root element");
      stack[stack.length - 1].text += decodeEntities(text);
    } else if (stack.length > 0 && text !== "") {
      stack[stack.length - 1].text += text;
    }
    if (lt < 0) break;
    if (input.startsWith("<?", lt)) {
      const end = input.indexOf("?>", lt);
      if (end < 0) throw new XmlParseError("unterminated processing instruction");
      i = end + 2;
    } else if (input.startsWith("<!--", lt)) {
      const end = input.indexOf("-->", lt);
      if (end < 0) throw new XmlParseError("unterminated comment");
      i = end + 3;
    } else if (input.startsWith("<![CDATA[", lt)) {
      const end = input.indexOf("]]>", lt);
      if (end < 0 || stack.length === 0) throw new XmlParseError("bad CDATA section");
      stack[stack.length - 1].text += input.slice(lt + 9, end);
      i = end + 3;
    } else if (input.startsWith("<!", lt)) {
      throw new XmlParseError("DOCTYPE and other declarations are not accepted");
    } else {
      const gt = input.indexOf(">", lt);
      if (gt < 0) throw new XmlParseError("unterminated tag");
      const tag = input.slice(lt + 1, gt);
      i = gt + 1;
      if (tag.startsWith("/")) {
        const name = localName(tag.slice(1).trim());
        const open = stack.pop();
        if (!open || open.name !== name) throw new XmlParseError(`unexpected </${name}>`);
        if (stack.length === 0) root = open;
        continue;
      }
      const selfClosing = tag.endsWith("/");
      const m = /^([A-Za-z_][\w.:-]*)(\s[^]*)?$/.exec(selfClosing ? tag.slice(0, -1) : tag);
      if (!m) throw new XmlParseError(`bad tag <${tag.slice(0, 40)}>`);
      if (root !== null) throw new XmlParseError("content after the root element");
      const el: XmlElement = { name: localName(m[1]), children: [], text: "" };
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      if (selfClosing) {
        if (stack.length === 0) root = el;
      } else {
        stack.push(el);
        if (stack.length > MAX_DEPTH) throw new XmlParseError(`nested deeper than ${MAX_DEPTH} elements`);
      }
    }
  }
  if (stack.length > 0 || root === null) throw new XmlParseError("the document is incomplete");
  return root;
}

/** Children named `name`. */
export const childrenNamed = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);

/** The trimmed text of the first child named `name`, or undefined. */
export function childText(el: XmlElement, name: string): string | undefined {
  const c = el.children.find((x) => x.name === name);
  return c === undefined ? undefined : c.text.trim();
}

/** S3's one answer to a body that is not the document its operation takes (also for its content: a `<Part>` without number). */
export const malformedXml = (why: string): ApiError => new ApiError("MalformedXML", why);

/**
 * A request's XML document, read with a byte bound, whose root must be `rootName`: every S3 body
 * (CreateBucketConfiguration, CompleteMultipartUpload, Delete, AccessControlPolicy, Tagging,
 * LifecycleConfiguration, CORSConfiguration, ServerSideEncryptionConfiguration, OwnershipControls)
 * is read here. Too large, unparsable or another root: `MalformedXML`. The raw bytes are checked
 * against the request's `Content-MD5` before they are parsed (content-md5.ts: `InvalidDigest`,
 * `BadDigest`); `verify` checks them further (DeleteObjects' `x-amz-checksum-*`).
 */
export async function readXmlDocument(
  request: Pick<Request, "body" | "headers">,
  maxBytes: number,
  rootName: string,
  verify?: (raw: Uint8Array) => Promise<void>,
): Promise<XmlElement> {
  const root = await readOptionalXmlDocument(request, maxBytes, rootName, verify);
  if (root === null) throw malformedXml(`the request needs a ${rootName} body`);
  return root;
}

/** As `readXmlDocument`, for the bodies an operation may go without (CreateBucket, PutBucketAcl): null when empty or blank. */
export async function readOptionalXmlDocument(
  request: Pick<Request, "body" | "headers">,
  maxBytes: number,
  rootName: string,
  verify?: (raw: Uint8Array) => Promise<void>,
): Promise<XmlElement | null> {
  const raw = await readBounded(request.body, maxBytes);
  if (raw === null) throw malformedXml(`the ${rootName} body is larger than ${maxBytes} bytes`);
  await verifyContentMd5(request.headers, raw);
  await verify?.(raw);
  const text = new TextDecoder().decode(raw);
  return text.trim() === "" ? null : parseXmlDocument(text, rootName);
}

/** A document already in memory (bounded by the caller) whose root must be `rootName`; MalformedXML otherwise. */
export function parseXmlDocument(text: string, rootName: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (err) {
    if (err instanceof XmlParseError) throw malformedXml(err.message);
    throw err;
  }
  if (root.name !== rootName) throw malformedXml(`unexpected <${root.name}>`);
  return root;
}
