/**
 * Streaming, tolerant multipart/form-data parser for PostFile (docs/protocol.md §5.4).
 *
 * workerd's `request.formData()` rejects the Python and Go SDK bodies and buffers the whole upload, so:
 *
 *   const form = await parseUploadForm(request.body, request.headers.get("Content-Type") ?? "");
 *   form.fields.get("FileName");            // small fields sent before the file part
 *   form.file.stream                        // the `file` part's bytes, streamed, never buffered
 *   form.file.filename, form.file.contentType
 *   await form.rest();                      // fields after the file part (no SDK sends any)
 *
 * - `parseUploadForm` reads the preamble and every part before the one named `file` into memory, bounded
 *   by FIELD_LIMIT per part and HEAD_LIMIT in all (part headers included), and resolves once the `file`
 *   part's headers are read. No `file` part, no boundary or a bound exceeded → ApiError("MalformedForm").
 * - `file.stream` yields exactly the part's bytes and ends at the next delimiter (`CRLF--boundary`) or at
 *   the end of input. Reading it pulls the request body on demand (highWaterMark 0); cancelling it cancels
 *   the body. It errors with MalformedForm if the delimiter is followed by anything but `--`, CRLF or the
 *   end, rather than silently truncating the file.
 * - `rest()` resolves after `file.stream` has been read to its end (it waits for that: do not await it
 *   before consuming the stream) with the fields of the parts after the file, under the same bounds. It
 *   rejects if the file stream was cancelled or failed.
 *
 * Tolerances, each needed by an SDK: a missing closing `--boundary--` (Python ends with `CRLF--B CRLF`);
 * parts without a Content-Disposition name are skipped (Go sends an empty header-less part before the
 * close, `CRLF--B CRLF CRLF--B--`, whose delimiter has no CRLF of its own: a delimiter right at the start
 * of an in-memory part body is accepted without one); a value running to the end of input loses exactly
 * one trailing CRLF. A repeated field name keeps its first value. Quoted parameters run to the next `"`
 * with no backslash escapes (Python puts raw local paths, Windows ones included, in `filename`).
 */
import { discardBody } from "../body";
import { ApiError } from "../errors";

/** Whether a request is a browser form upload (PostFile, S3 PostObject): its body is multipart/form-data. */
export const isFormUpload = (request: Request): boolean =>
  (request.headers.get("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data");

/** Most bytes one in-memory part value may have. */
export const FIELD_LIMIT = 64 * 1024;
/** Most bytes of preamble, part headers and fields before the file part (and again after it). */
export const HEAD_LIMIT = 256 * 1024;
/** Longest boundary accepted (RFC 2046 allows 70; be lenient, but bounded). */
const MAX_BOUNDARY = 256;
/** Chunks up to this size are appended to a pending tail by copying; larger ones are searched in place. */
const SMALL_CHUNK = 4096;

export interface UploadFile {
  /** The part's bytes, exactly. */
  stream: ReadableStream<Uint8Array>;
  /** `filename` parameter of the part's Content-Disposition, if any. */
  filename: string | null;
  /** The part's own `Content-Type` header, if any. */
  contentType: string | null;
}

export interface UploadForm {
  /** Fields before the file part, by name (first value wins). */
  fields: Map<string, string>;
  file: UploadFile;
  /** Fields after the file part; resolves once `file.stream` has been read to its end. */
  rest(): Promise<Map<string, string>>;
}

const CR = 13;
const LF = 10;
const DASH = 45;
const SP = 32;
const HT = 9;
const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

const malformed = (detail: string) => new ApiError("MalformedForm", detail);

// ─── header values ─────────────────────────────────────────────────────────────

/** `value; a=b; c="d"` → the value and its parameters (names lower-cased, quotes removed). */
export function parseHeaderParams(header: string): { value: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  let i = header.indexOf(";");
  const value = (i < 0 ? header : header.slice(0, i)).trim();
  while (i >= 0 && i < header.length) {
    i++; // past ';'
    const eq = header.indexOf("=", i);
    const semi = header.indexOf(";", i);
    if (eq < 0 || (semi >= 0 && semi < eq)) {
      i = semi; // a parameter without a value: skip it
      continue;
    }
    const name = header.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (header[j] === " " || header[j] === "\t") j++;
    let v: string;
    if (header[j] === '"') {
      const close = header.indexOf('"', j + 1);
      v = header.slice(j + 1, close < 0 ? header.length : close);
      i = header.indexOf(";", close < 0 ? header.length : close);
    } else {
      i = header.indexOf(";", j);
      v = header.slice(j, i < 0 ? header.length : i).trim();
    }
    if (name && !params.has(name)) params.set(name, v);
  }
  return { value, params };
}

/** The multipart boundary of a Content-Type header (quotes stripped); MalformedForm without one. */
export function boundaryOf(contentType: string): string {
  const boundary = parseHeaderParams(contentType).params.get("boundary") ?? "";
  if (boundary === "") throw malformed("the Content-Type header has no multipart boundary");
  if (boundary.length > MAX_BOUNDARY) throw malformed(`the multipart boundary is longer than ${MAX_BOUNDARY} characters`);
  return boundary;
}

// ─── byte search ──────────────────────────────────────────────────────────────

/**
 * Boyer-Moore-Horspool search for a fixed needle. It skips up to the needle's length per step, so a
 * file is scanned with about size / 40 JS iterations instead of one `Uint8Array.indexOf` on the
 * first byte plus a compare per candidate (CR is frequent in text files).
 */
class Finder {
  private readonly skip = new Int32Array(256);

  constructor(readonly needle: Uint8Array) {
    const last = needle.length - 1;
    this.skip.fill(needle.length);
    for (let k = 0; k < last; k++) this.skip[needle[k]] = last - k;
  }

  get length(): number {
    return this.needle.length;
  }

  /** Index of the first match at or after `from`, or -1. */
  find(hay: Uint8Array, from = 0): number {
    const n = this.needle;
    const last = n.length - 1;
    const lastByte = n[last];
    for (let i = from, end = hay.length - n.length; i <= end; ) {
      const c = hay[i + last];
      if (c === lastByte) {
        let k = last - 1;
        while (k >= 0 && hay[i + k] === n[k]) k--;
        if (k < 0) return i;
      }
      i += this.skip[c];
    }
    return -1;
  }
}

function startsWith(hay: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (hay.length - at < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (hay[at + k] !== prefix[k]) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// ─── input ────────────────────────────────────────────────────────────────────

/** The request body with a pending (unconsumed) window `buf[pos..]`. */
class Input {
  buf: Uint8Array = EMPTY;
  pos = 0;
  eof = false;
  /** Bytes consumed so far, for the HEAD_LIMIT budget. */
  consumed = 0;
  /** The buffer `append` allocated last; `buf` may be its prefix. */
  private own: Uint8Array | null = null;

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  get avail(): number {
    return this.buf.length - this.pos;
  }

  /** `n` pending bytes from `from` (relative to pos), as a view. */
  view(from: number, n: number): Uint8Array {
    return this.buf.subarray(this.pos + from, this.pos + from + n);
  }

  skip(n: number): void {
    this.pos += n;
    this.consumed += n;
  }

  /** Replaces the pending window (the caller has consumed the old one). */
  reset(buf: Uint8Array, pos: number): void {
    this.buf = buf;
    this.pos = pos;
  }

  /** The next non-empty chunk of the body, or null at its end. */
  async next(): Promise<Uint8Array | null> {
    while (!this.eof) {
      const r = await this.reader.read();
      if (r.done) this.eof = true;
      else if (r.value.byteLength > 0) return r.value;
    }
    return null;
  }

  /**
   * Adds `chunk` after the pending bytes: in place when the buffer we allocated last has room, else in a
   * new one with room to spare, so that many tiny chunks cost amortised O(1) per byte, not a full copy
   * each. Bytes already handed out as views are never overwritten (appends only go past the end).
   */
  append(chunk: Uint8Array): void {
    const pending = this.avail;
    if (pending === 0) return this.reset(chunk, 0);
    const end = this.buf.length;
    const own = this.own;
    if (own && this.buf.buffer === own.buffer && this.buf.byteOffset === own.byteOffset && end + chunk.length <= own.length) {
      own.set(chunk, end);
      this.buf = own.subarray(0, end + chunk.length);
      return;
    }
    const needed = pending + chunk.length;
    const grown = new Uint8Array(needed < 1 << 20 ? Math.max(2 * needed, 4096) : needed);
    grown.set(this.buf.subarray(this.pos));
    grown.set(chunk, pending);
    this.own = grown;
    this.reset(grown.subarray(0, needed), 0);
  }

  /** Appends the next chunk to the pending bytes; false at the end of input. */
  async more(): Promise<boolean> {
    const chunk = await this.next();
    if (chunk === null) return false;
    this.append(chunk);
    return true;
  }

  /** Reads until `n` bytes are pending; false if the input ends first. */
  async need(n: number): Promise<boolean> {
    while (this.avail < n) if (!(await this.more())) return false;
    return true;
  }

  cancel(reason: unknown): void {
    this.reader.cancel(reason).catch(() => {});
  }
}

/** What follows a delimiter: another part, the closing `--`, or the end of input. */
type After = "part" | "close" | "end";

/** The delimiters of one form. */
class Delimiters {
  /** `CRLF--boundary`: ends every part. */
  readonly delimiter: Finder;
  /** `--boundary`: the same at the very start of a part body (first delimiter, Go's empty part). */
  readonly bare: Uint8Array;
  readonly headerEnd = new Finder(encoder.encode("\r\n\r\n"));

  constructor(boundary: string) {
    this.delimiter = new Finder(encoder.encode(`\r\n--${boundary}`));
    this.bare = this.delimiter.needle.subarray(2);
  }
}

/** Where the in-memory phase may go: its end in consumed bytes, and what to say when a bound is hit. */
class Budget {
  private readonly end: number;

  constructor(
    private readonly input: Input,
    private readonly where: string,
  ) {
    this.end = input.consumed + HEAD_LIMIT;
  }

  /** Most bytes the next item may have, and the error to throw past it. */
  limit(what: string, itemLimit: number): { max: number; error: () => ApiError } {
    const left = this.end - this.input.consumed;
    return left < itemLimit
      ? { max: left, error: () => malformed(`more than ${HEAD_LIMIT} bytes of form data ${this.where}`) }
      : { max: itemLimit, error: () => malformed(`${what} is larger than ${itemLimit} bytes`) };
  }
}

/** Consumes what follows a delimiter: optional transport padding, then `--`, CRLF or the end. */
async function afterDelimiter(input: Input): Promise<After> {
  if (!(await input.need(2))) {
    if (input.avail === 0 || input.buf[input.pos] === CR || input.buf[input.pos] === DASH) return "end";
  }
  if (input.buf[input.pos] === DASH && input.buf[input.pos + 1] === DASH) {
    input.skip(2);
    return "close";
  }
  // RFC 2046 transport padding; bounded so that a stream of spaces cannot hold us.
  for (let pad = 0; (await input.need(1)) && (input.buf[input.pos] === SP || input.buf[input.pos] === HT); pad++) {
    if (pad > 1024) throw malformed("too much padding after a boundary");
    input.skip(1);
  }
  if (!(await input.need(2))) {
    if (input.avail === 0 || input.buf[input.pos] === CR) return "end";
  } else if (input.buf[input.pos] === CR && input.buf[input.pos + 1] === LF) {
    input.skip(2);
    return "part";
  }
  throw malformed("a boundary is followed by unexpected bytes (boundary string inside the content?)");
}

/**
 * Reads an in-memory part value (or the preamble) up to its delimiter, consuming the delimiter.
 * `after` is null when the input ended with no delimiter (the value then loses one trailing CRLF).
 */
async function readValue(input: Input, d: Delimiters, limit: { max: number; error: () => ApiError }): Promise<{ value: Uint8Array; after: After | null }> {
  await input.need(d.bare.length);
  if (startsWith(input.buf, input.pos, d.bare)) {
    input.skip(d.bare.length);
    return { value: EMPTY, after: await afterDelimiter(input) };
  }
  for (let from = 0; ; ) {
    const at = d.delimiter.find(input.buf, input.pos + from);
    if (at >= 0) {
      const len = at - input.pos;
      if (len > limit.max) throw limit.error();
      const value = input.view(0, len);
      input.skip(len + d.delimiter.length);
      return { value, after: await afterDelimiter(input) };
    }
    from = Math.max(0, input.avail - d.delimiter.length + 1);
    if (from > limit.max) throw limit.error();
    if (!(await input.more())) {
      const n = input.avail;
      const crlf = n >= 2 && input.buf[input.pos + n - 2] === CR && input.buf[input.pos + n - 1] === LF;
      if (n - (crlf ? 2 : 0) > limit.max) throw limit.error();
      const value = input.view(0, crlf ? n - 2 : n);
      input.skip(n);
      return { value, after: null };
    }
  }
}

/** Reads a part's header block (lower-cased names); null if the input ends before it starts. */
async function readHeaders(input: Input, d: Delimiters, budget: Budget): Promise<Map<string, string> | null> {
  const headers = new Map<string, string>();
  if (!(await input.need(2)) && input.avail === 0) return null;
  if (input.buf[input.pos] === CR && input.buf[input.pos + 1] === LF) {
    input.skip(2); // no headers at all
    return headers;
  }
  const limit = budget.limit("a part's header block", HEAD_LIMIT);
  let at: number;
  for (let from = 0; (at = d.headerEnd.find(input.buf, input.pos + from)) < 0; ) {
    from = Math.max(0, input.avail - 3);
    if (from > limit.max) throw limit.error();
    if (!(await input.more())) throw malformed("the input ends inside a part's headers");
  }
  const block = decoder.decode(input.view(0, at - input.pos));
  input.skip(at - input.pos + 4);
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

interface FileHead {
  filename: string | null;
  contentType: string | null;
}

/**
 * Reads parts into `fields` while `after` says another part follows. With `stopAtFile`, returns the
 * headers of the first part named `file`, leaving the input at its first byte; else reads every part as
 * a field and returns null.
 */
async function readParts(input: Input, d: Delimiters, fields: Map<string, string>, after: After, budget: Budget, stopAtFile: boolean): Promise<FileHead | null> {
  while (after === "part") {
    const headers = await readHeaders(input, d, budget);
    if (headers === null) return null;
    const disposition = parseHeaderParams(headers.get("content-disposition") ?? "").params;
    const name = disposition.get("name") ?? null;
    if (stopAtFile && name === "file") {
      return { filename: disposition.get("filename") ?? null, contentType: headers.get("content-type") ?? null };
    }
    const part = await readValue(input, d, budget.limit(name === null ? "an unnamed part" : `field ${JSON.stringify(name)}`, FIELD_LIMIT));
    if (name !== null && !fields.has(name)) fields.set(name, decoder.decode(part.value));
    after = part.after ?? "end";
  }
  return null;
}

/**
 * The file part as a stream. Each pull searches the pending bytes for the delimiter and emits everything
 * that cannot be the start of one, keeping a tail shorter than the delimiter. A new large chunk is not
 * appended to that tail (a copy of the whole chunk): the tail plus the chunk's first bytes are searched
 * as a small seam, then the chunk in place.
 */
function fileStream(input: Input, d: Delimiters, done: (after: After) => void, failed: (e: unknown) => void): ReadableStream<Uint8Array> {
  const L = d.delimiter.length;
  let finished = false;

  const end = async (controller: ReadableStreamDefaultController<Uint8Array>, dataEnd: number, delimiterEnd: number | null) => {
    if (dataEnd > 0) controller.enqueue(input.view(0, dataEnd));
    if (delimiterEnd === null) {
      input.skip(input.avail);
      finished = true;
      controller.close();
      done("end");
      return;
    }
    input.skip(delimiterEnd);
    const after = await afterDelimiter(input);
    finished = true;
    controller.close();
    done(after);
  };

  /** Emits and consumes up to `n` pending bytes; true if any. */
  const emit = (controller: ReadableStreamDefaultController<Uint8Array>, n: number): boolean => {
    if (n <= 0) return false;
    controller.enqueue(input.view(0, n));
    input.skip(n);
    return true;
  };

  const pull = async (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    for (;;) {
      const at = d.delimiter.find(input.buf, input.pos);
      if (at >= 0) return end(controller, at - input.pos, at - input.pos + L);
      if (input.eof) {
        const n = input.avail;
        const crlf = n >= 2 && input.buf[input.pos + n - 2] === CR && input.buf[input.pos + n - 1] === LF;
        return end(controller, crlf ? n - 2 : n, null);
      }
      if (emit(controller, input.avail - (L - 1))) return;
      // Fewer than L bytes pending: get more.
      const chunk = await input.next();
      if (chunk === null) continue; // eof is now set
      if (input.avail === 0 || chunk.length <= SMALL_CHUNK) {
        input.append(chunk);
        continue;
      }
      const tail = input.avail;
      const seam = concat(input.view(0, tail), chunk.subarray(0, L - 1));
      const hit = d.delimiter.find(seam); // any hit starts inside the tail: seam.length < tail + L
      if (hit >= 0) {
        emit(controller, hit);
        input.skip(tail - hit); // the delimiter's bytes in the old tail
        input.reset(chunk, 0);
        return end(controller, 0, hit + L - tail);
      }
      emit(controller, tail);
      input.reset(chunk, 0);
    }
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          await pull(controller);
        } catch (e) {
          failed(e);
          input.cancel(e);
          throw e;
        }
      },
      cancel(reason) {
        if (!finished) failed(new Error("the file stream was cancelled before its end"));
        input.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Parses a PostFile body up to the `file` part (see the top of this file). */
export async function parseUploadForm(body: ReadableStream<Uint8Array>, contentTypeHeader: string): Promise<UploadForm> {
  const d = new Delimiters(boundaryOf(contentTypeHeader));
  const input = new Input(body.getReader());
  const fields = new Map<string, string>();
  let head: FileHead | null;
  try {
    const budget = new Budget(input, "before the file part");
    const preamble = await readValue(input, d, budget.limit("the preamble", HEAD_LIMIT));
    if (preamble.after === null) throw malformed("the body holds no boundary delimiter");
    head = await readParts(input, d, fields, preamble.after, budget, true);
  } catch (e) {
    input.cancel(e);
    throw e;
  }
  if (head === null) {
    input.cancel("no file part");
    throw malformed('the form has no part named "file"');
  }

  let settle!: { done: (after: After) => void; failed: (e: unknown) => void };
  const fileEnd = new Promise<After>((resolve, reject) => (settle = { done: resolve, failed: reject }));
  fileEnd.catch(() => {}); // only rest() cares; an unawaited failure must not be an unhandled rejection

  let rest: Promise<Map<string, string>> | null = null;
  return {
    fields,
    file: { stream: fileStream(input, d, settle.done, settle.failed), ...head },
    rest: () =>
      (rest ??= fileEnd.then(async (after) => {
        const more = new Map<string, string>();
        await readParts(input, d, more, after, new Budget(input, "after the file part"), false);
        return more;
      })),
  };
}

/** Most bytes of an unread file part read (and dropped) before a refusal is answered. */
export const FORM_DRAIN_LIMIT = 32 * 1024 * 1024;

/**
 * Runs what a form upload checks before it reads the file part (credentials, key, quota, fields).
 * A refusal first reads and drops the unread file part, up to FORM_DRAIN_LIMIT, and cancels the
 * rest: a client still sending a large file then gets the error answer, not a dropped connection.
 * Both form fronts (UFile PostFile, S3 PostObject) check through here.
 */
export async function checkBeforeFile<T>(file: UploadFile, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    await discardBody(file.stream, FORM_DRAIN_LIMIT).catch(() => undefined);
    throw err;
  }
}
