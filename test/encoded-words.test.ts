import { describe, expect, it } from "vitest";
import { asHeaderText, decodedWords, encodedWords } from "../src/core/encoded-words";

// RFC 2047 encoded-words, shared by the S3 POST form and the console's metadata editor.
describe("encoded-words", () => {
  it("leaves ASCII as it is and encodes anything else as UTF-8 B words of at most 75 characters", () => {
    expect(asHeaderText("plain value\twith tab")).toBe("plain value\twith tab");
    expect(asHeaderText("café €")).toBe("=?UTF-8?B?Y2Fmw6kg4oKs?=");
    const long = "東京".repeat(40); // 240 UTF-8 bytes: several words, none splitting a character
    const words = encodedWords(long).split(" ");
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) {
      expect(word.length).toBeLessThanOrEqual(75);
      expect(decodedWords(word)).toMatch(/^(東京|東|京)+$/u);
    }
    expect(decodedWords(encodedWords(long))).toBe(long);
  });

  it("decodes B and Q words in other charsets, and leaves anything else unchanged", () => {
    expect(decodedWords("=?UTF-8?Q?caf=C3=A9_au_lait?=")).toBe("café au lait");
    expect(decodedWords("=?ISO-8859-1?Q?caf=E9?= =?UTF-8?B?IOKCrA==?=")).toBe("café €");
    expect(decodedWords("not =?UTF-8?B?Y2Fmw6k=?= only words")).toBe("not =?UTF-8?B?Y2Fmw6k=?= only words");
    expect(decodedWords("=?UTF-8?B?!!!?=")).toBe("=?UTF-8?B?!!!?=");
    expect(decodedWords("=?no-such-charset?B?YQ==?=")).toBe("=?no-such-charset?B?YQ==?=");
    expect(decodedWords("=?UTF-8?B?/w==?=")).toBe("=?UTF-8?B?/w==?="); // the byte FF is not UTF-8
  });
});
