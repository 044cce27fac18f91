/**
 * Compares two object keys in UTF-8 byte order (SQLite's BINARY collation), which is code-point order.
 * JavaScript's `<` compares UTF-16 code units, which puts a supplementary character (a surrogate
 * pair, D800–DFFF) before U+E000–U+FFFF; the first differing unit is remapped to restore the order.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (unit: number) => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);
