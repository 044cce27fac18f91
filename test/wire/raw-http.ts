/**
 * Raw HTTP/1.x over one TCP socket (node:net), for what real clients send and node:http hides:
 * several requests on one keep-alive connection, `Expect: 100-continue` (read the interim 100, then
 * send the body), chunked request bodies written by hand, HTTP/1.0, exact header casing.
 *
 *   const conn = await RawConnection.open(port);
 *   conn.write(rawRequest({ method: "PUT", target: "/k", host, headers: {...}, body }));
 *   const res = await conn.readResponse();            // { version, status, headers, rawHeaders, body, chunked }
 *   const head = await conn.readResponse({ head: true }); // a HEAD answer has no body
 *   conn.close();
 *
 *   chunkedBody([a, b])  → the chunked encoding of the parts, terminator included
 *
 * readResponse parses one response: Content-Length bodies, chunked bodies (decoded; `chunked: true`),
 * and bodies delimited by the server closing the connection. Interim 1xx answers are returned as
 * responses of their own, so a test sees the 100 before it sends the body.
 */
import net from "node:net";

export interface RawResponse {
  version: string;
  status: number;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** As sent, casing kept. */
  rawHeaders: [string, string][];
  body: Buffer;
  /** The body came with Transfer-Encoding: chunked. */
  chunked: boolean;
}

export interface RawRequest {
  method: string;
  /** Request target, already encoded. */
  target: string;
  host: string;
  headers?: Record<string, string>;
  /** Appended after the head as is (use chunkedBody() for a chunked one). */
  body?: Uint8Array | string;
  version?: "HTTP/1.1" | "HTTP/1.0";
}

/** The bytes of one request: request line, Host, the given headers in order, blank line, body. */
export function rawRequest(req: RawRequest): Buffer {
  const lines = [`${req.method} ${req.target} ${req.version ?? "HTTP/1.1"}`, `Host: ${req.host}`];
  for (const [k, v] of Object.entries(req.headers ?? {})) lines.push(`${k}: ${v}`);
  const head = Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1");
  const body = typeof req.body === "string" ? Buffer.from(req.body) : req.body;
  return body ? Buffer.concat([head, body]) : head;
}

/** `Transfer-Encoding: chunked` framing of the given parts, with the final zero chunk. */
export function chunkedBody(parts: (Uint8Array | string)[]): Buffer {
  const out: Buffer[] = [];
  for (const part of parts) {
    const bytes = typeof part === "string" ? Buffer.from(part) : Buffer.from(part);
    if (bytes.byteLength === 0) continue;
    out.push(Buffer.from(`${bytes.byteLength.toString(16)}\r\n`), bytes, Buffer.from("\r\n"));
  }
  out.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(out);
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.notify();
    });
    socket.on("end", () => {
      this.ended = true;
      this.notify();
    });
    socket.on("error", (err) => {
      this.failure = err;
      this.notify();
    });
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** True once the server has closed its side. */
  get closedByServer(): boolean {
    return this.ended && this.buffered.byteLength === 0;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Reads the next response. `head: true` for the answer to a HEAD request (no body follows). */
  async readResponse(opts: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    const headEnd = await this.until(deadline, () => {
      const i = this.buffered.indexOf("\r\n\r\n");
      return i < 0 ? undefined : i;
    });
    const headText = this.take(headEnd + 4).toString("latin1");
    const [statusLine, ...headerLines] = headText.slice(0, -4).split("\r\n");
    const match = /^(HTTP\/\d\.\d) (\d{3})/.exec(statusLine ?? "");
    if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
    const rawHeaders: [string, string][] = headerLines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of rawHeaders) headers[k.toLowerCase()] = headers[k.toLowerCase()] ? `${headers[k.toLowerCase()]}, ${v}` : v;
    const status = Number(match[2]);
    const base = { version: match[1]!, status, headers, rawHeaders };

    if (opts.head || (status >= 100 && status < 200) || status === 204 || status === 304) return { ...base, body: Buffer.alloc(0), chunked: false };
    if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) return { ...base, body: await this.readChunked(deadline), chunked: true };
    if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      await this.until(deadline, () => (this.buffered.byteLength >= length ? true : undefined));
      return { ...base, body: this.take(length), chunked: false };
    }
    await this.until(deadline, () => (this.ended ? true : undefined));
    return { ...base, body: this.take(this.buffered.byteLength), chunked: false };
  }

  private async readChunked(deadline: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const size = parseInt(this.take((await this.lineEnd(deadline)) + 2).toString("latin1").split(";")[0]!, 16);
      if (size === 0) {
        // The trailer section (normally empty) ends with an empty line.
        for (;;) if (this.take((await this.lineEnd(deadline)) + 2).byteLength === 2) return Buffer.concat(parts);
      }
      await this.until(deadline, () => (this.buffered.byteLength >= size + 2 ? true : undefined));
      parts.push(this.take(size));
      this.take(2);
    }
  }

  /** Index of the next CRLF in the buffer, waiting for it. */
  private lineEnd(deadline: number): Promise<number> {
    return this.until(deadline, () => {
      const i = this.buffered.indexOf("\r\n");
      return i < 0 ? undefined : i;
    });
  }

  private take(n: number): Buffer {
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return Buffer.from(out);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits until `ready()` returns a value, the connection fails, or the deadline passes. */
  private async until<T>(deadline: number, ready: () => T | undefined): Promise<T> {
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      if (this.failure) throw this.failure;
      if (this.ended) throw new Error("connection closed by the server before the response was complete");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no complete response before the timeout");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
