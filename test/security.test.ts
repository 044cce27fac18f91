import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { blockContains, parseIp, parseIpBlock } from "../src/auth/ip";
import { signedDateRange } from "../src/data/auth";
import { safeEqual } from "../src/crypto";
import { control, expectError, file, newBucket, put, uniqueName } from "./helpers";

/**
 * Security rules that need the database itself or are pure functions (the HTTP-level attacks and the
 * forgery table are in test/wire/attacks.test.ts and test/wire/forgery.test.ts).
 */

describe("a token row whose lists do not parse fails closed", () => {
  it("grants nothing, even though its signature is valid", async () => {
    const ProjectId = `org-${uniqueName("dmg")}`;
    const { body } = await control({
      Action: "CreateUFileToken",
      ProjectId,
      TokenName: "damaged",
      "AllowedOps.0": "TOKEN_ALLOW_READ",
      ExpireTime: Math.floor(Date.now() / 1000) + 3600,
    });
    expect(body.RetCode).toBe(0);
    const keys = { publicKey: body.UFileTokenSet.PublicKey, privateKey: body.UFileTokenSet.PrivateKey };
    const { body: b } = await control({ Action: "CreateBucket", BucketName: uniqueName("dmg"), ProjectId });
    await put(b.BucketName, "x.txt", "x");
    expect((await file(b.BucketName, "x.txt", { keys })).status).toBe(200);

    // Corrupt one stored list (a bad migration, a hand edit): the token must not fall open.
    await env.DB.prepare("UPDATE tokens SET allowed_prefixes = 'not json' WHERE id = ?").bind(body.TokenId).run();
    const refused = await expectError(await file(b.BucketName, "x.txt", { keys }), 403, -90008);
    expect(refused.ErrMsg).toMatch(/grants nothing/);
    // An empty stored list grants nothing either.
    await env.DB.prepare("UPDATE tokens SET allowed_prefixes = '[]' WHERE id = ?").bind(body.TokenId).run();
    await expectError(await file(b.BucketName, "x.txt", { keys }), 403, -90008);
  });

  it("a token's anonymous-looking request on a public bucket is still judged as the token", async () => {
    const bucket = await newBucket("public");
    await put(bucket, "x.txt", "x");
    const bad = { publicKey: `TOKEN_${crypto.randomUUID()}`, privateKey: "nope" };
    await expectError(await file(bucket, "x.txt", { keys: bad }), 403, -148658);
  });
});

describe("safeEqual, the signature comparison", () => {
  it("is true for the same string only", () => {
    expect(safeEqual("N4jyaYtjRwzWSqCwVQl0Z1PlN5k=", "N4jyaYtjRwzWSqCwVQl0Z1PlN5k=")).toBe(true);
    expect(safeEqual("", "")).toBe(true);
    expect(safeEqual("N4jyaYtjRwzWSqCwVQl0Z1PlN5k=", "N4jyaYtjRwzWSqCwVQl0Z1PlN5j=")).toBe(false); // one character
    expect(safeEqual("N4jyaYtjRwzWSqCwVQl0Z1PlN5k=", "X4jyaYtjRwzWSqCwVQl0Z1PlN5k=")).toBe(false); // the first
    expect(safeEqual("abc", "abcd")).toBe(false);
    expect(safeEqual("abcd", "abc")).toBe(false);
    expect(safeEqual("ключ", "ключ")).toBe(true);
    expect(safeEqual("ключ", "ключи")).toBe(false);
    // Two different lone surrogates: a UTF-8 encoder would make both U+FFFD and call them equal.
    expect(safeEqual("a\ud800", "a\udc00")).toBe(false);
  });
});

describe("signed Date ranges", () => {
  it("HTTP-dates are exact; Java's zone-less form spans UTC-12 … UTC+14", () => {
    const t = Date.UTC(2026, 11, 1, 12, 0, 0) / 1000;
    expect(signedDateRange("Tue, 01 Dec 2026 12:00:00 GMT")).toEqual({ earliest: t, latest: t });
    expect(signedDateRange("20261201120000")).toEqual({ earliest: t - 14 * 3600, latest: t + 12 * 3600 });
    expect(signedDateRange("")).toBeNull();
    expect(signedDateRange("1700000000")).toBeNull(); // a bare number is not a date the SDKs send
    expect(signedDateRange("garbage")).toBeNull();
  });
});

describe("IP addresses and blocks", () => {
  it("parses IPv4, IPv6, mapped addresses and CIDR, refusing malformed ones", () => {
    expect(parseIp("203.0.113.7")).toEqual({ version: 4, value: 0xcb007107n });
    expect(parseIp("::ffff:203.0.113.7")).toEqual({ version: 4, value: 0xcb007107n });
    expect(parseIp("2001:db8::1")?.version).toBe(6);
    expect(parseIp("[::1]")).toEqual({ version: 6, value: 1n });
    for (const bad of ["256.1.1.1", "1.2.3", "01.2.3.4", "1::2::3", "2001:db8:::1", "gggg::1", "", "1.2.3.4.5"]) expect(parseIp(bad), bad).toBeNull();
    const block = parseIpBlock("10.0.0.0/8")!;
    expect(blockContains(block, parseIp("10.255.0.1")!)).toBe(true);
    expect(blockContains(block, parseIp("11.0.0.1")!)).toBe(false);
    expect(blockContains(parseIpBlock("0.0.0.0/0")!, parseIp("8.8.8.8")!)).toBe(true);
    expect(blockContains(parseIpBlock("2001:db8::/32")!, parseIp("2001:db8:ffff::1")!)).toBe(true);
    expect(blockContains(parseIpBlock("2001:db8::/32")!, parseIp("10.0.0.1")!)).toBe(false);
    expect(blockContains(parseIpBlock("::ffff:10.0.0.0/104")!, parseIp("10.1.1.1")!)).toBe(true);
    for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/x", "nope/8"]) expect(parseIpBlock(bad), bad).toBeNull();
  });
});
