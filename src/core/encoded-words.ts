/**
 * RFC 2047 encoded-words (`=?UTF-8?B?...?=`): how a metadata value holding characters an HTTP header
 * cannot carry as sent travels as ASCII, the form AWS answers non-ASCII metadata in
 * (docs/s3.md §3 "Non-ASCII metadata"). Shared by the Worker (S3 POST form fields) and the web
 * console (its metadata editor sends through the browser's `fetch`, which cannot send such a value).
 */
// The signing module, not crypto.ts: the console's build takes it (crypto.ts needs the Workers runtime's types).
import { toBase64 } from "../signing.mjs";

/** A value every header carries as is: tab, space and visible ASCII. */
const ASCII_VALUE = /^[\t\x20-\x7e]*$/;

/** UTF-8 bytes per encoded-word: 45 bytes are 60 base64 characters, a 72-character word (RFC 2047 allows 75). */
const WORD_BYTES = 45;

/**
 * `text` as RFC 2047 `B` encoded-words in UTF-8, split on character boundaries and joined by a space
 * (a decoder drops the white space between adjacent encoded-words).
 */
export function encodedWords(text: string): string {
  const encoder = new TextEncoder();
  const words: string[] = [];
  let chunk = "";
  let bytes = 0;
  for (const ch of text) {
    const n = encoder.encode(ch).byteLength;
    if (bytes + n > WORD_BYTES) {
      words.push(encodedWord(encoder.encode(chunk)));
      chunk = "";
      bytes = 0;
    }
    chunk += ch;
    bytes += n;
  }
  if (chunk !== "" || words.length === 0) words.push(encodedWord(encoder.encode(chunk)));
  return words.join(" ");
}

const encodedWord = (bytes: Uint8Array): string => `=?UTF-8?B?${toBase64(bytes)}?=`;

/** `text` as a header can carry it: ASCII as is, anything else as encoded-words. */
export const asHeaderText = (text: string): string => (ASCII_VALUE.test(text) ? text : encodedWords(text));

/** One encoded-word: charset, encoding (B or Q), encoded text. */
const WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
/** A value made only of encoded-words separated by white space. */
const ONLY_WORDS = /^\s*=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=(\s+=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)*\s*$/;

/**
 * The text a value of encoded-words stands for; any other value, or one whose words do not decode
 * (an unknown charset, bad base64), unchanged.
 */
export function decodedWords(value: string): string {
  if (!ONLY_WORDS.test(value)) return value;
  try {
    let text = "";
    for (const [, charset, encoding, encoded] of value.matchAll(WORD)) {
      const bytes = encoding.toUpperCase() === "B" ? Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)) : qBytes(encoded);
      text += new TextDecoder(charset.replace(/\*.*$/, ""), { fatal: true, ignoreBOM: false }).decode(bytes);
    }
    return text;
  } catch {
    return value;
  }
}

/** The `Q` encoding: `_` is a space, `=XX` a byte in hex, anything else itself. */
function qBytes(encoded: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded[i];
    if (c === "_") bytes.push(0x20);
    else if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(encoded.slice(i + 1, i + 3))) {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === "=") throw new Error("bad Q encoding");
    else bytes.push(c.charCodeAt(0));
  }
  return Uint8Array.from(bytes);
}
