// Upload-policy parsing and callbackBody substitution (src/data/callback.ts); the HTTP side is in
// test/wire/callbacks.test.ts.
import { describe, expect, it } from "vitest";
import { hmacSha1Base64 } from "../src/signing.mjs";
import { ApiError } from "../src/errors";
import { parsePutPolicy, substitute } from "../src/data/callback";
import { PRIVATE_KEY } from "./helpers";

const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_");
const vars: Record<string, string | number> = { key: 'a "b"/c d', fsize: 12, "x:name": "Alice & Bob" };
const value = (name: string) => (Object.hasOwn(vars, name) ? vars[name] : "");

describe("the upload-policy vector (docs/protocol.md §2.7)", () => {
  it("signs the base64 policy appended after the resource", async () => {
    const policy = b64url('{"callbackUrl":"http://example.com/cb","callbackBody":"key=$(key)"}');
    expect(policy).toBe("eyJjYWxsYmFja1VybCI6Imh0dHA6Ly9leGFtcGxlLmNvbS9jYiIsImNhbGxiYWNrQm9keSI6ImtleT0kKGtleSkifQ==");
    expect(await hmacSha1Base64(PRIVATE_KEY, `PUT\n\ntext/plain\n\n/demobucket/demokey${policy}`)).toBe("6varwGuuSyQ4NtTEiZQHXsKa+9s=");
  });
});

describe("parsePutPolicy", () => {
  it("reads Go's padded URL-safe base64 and unpadded base64; defaults the body type to a form", () => {
    const json = '{"callbackUrl":"https://cb.example/x?y=1","callbackBody":"a=$(x:a)","callbackVar":{"x:a":"1"}}';
    for (const field of [b64url(json), b64url(json).replace(/=+$/, "")]) {
      const p = parsePutPolicy(field);
      expect(p.callbackUrl.href).toBe("https://cb.example/x?y=1");
      expect(p.callbackBodyType).toBe("application/x-www-form-urlencoded");
      expect(p.callbackVar).toEqual({ "x:a": "1" });
    }
  });

  it.each([
    ["not base64", "%%%"],
    ["not JSON", b64url("hello")],
    ["no callbackUrl", b64url('{"callbackBody":"x"}')],
    ["a non-http URL", b64url('{"callbackUrl":"file:///etc/passwd"}')],
    ["a non-string variable", b64url('{"callbackUrl":"http://a.example","callbackVar":{"x:n":1}}')],
    ["a huge policy", "A".repeat(9000)],
  ])("refuses %s with 400 -90001", (_, field) => {
    try {
      parsePutPolicy(field);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).entry.code).toBe(-90001);
      expect((err as ApiError).message).toContain("invalid upload policy");
    }
  });
});

describe("substitute", () => {
  it("URL-encodes values in a form body; unknown names become empty", () => {
    expect(substitute("k=$(key)&n=$(x:name)&s=$(fsize)&u=$(x:none)", "application/x-www-form-urlencoded", value)).toBe(
      "k=a%20%22b%22%2Fc%20d&n=Alice%20%26%20Bob&s=12&u=",
    );
  });

  it("writes JSON values in a JSON body: bare placeholders as values, quoted ones escaped into the string", () => {
    const body = '{"key":$(key),"size":$(fsize),"quoted":"$(fsize)","note":"name: $(x:name), key: $(key)","lit":"\\"$(x:none)\\""}';
    expect(JSON.parse(substitute(body, "application/json; charset=utf-8", value))).toEqual({
      key: 'a "b"/c d',
      size: 12,
      quoted: "12",
      note: 'name: Alice & Bob, key: a "b"/c d',
      lit: '""',
    });
  });

  it("leaves other body types raw", () => {
    expect(substitute("$(key) $(fsize)", "text/plain", value)).toBe('a "b"/c d 12');
  });
});
