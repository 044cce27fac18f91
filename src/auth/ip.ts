/**
 * IP addresses and CIDR blocks for token IP lists (`BlackIPList` / `WhiteIPList`): single addresses
 * (`203.0.113.7`, `2001:db8::1`) and blocks (`203.0.113.0/24`, `2001:db8::/32`), IPv4 and IPv6.
 * An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what a dual-stack socket reports) is the IPv4
 * address it maps.
 */

/** An address as a 32-bit (IPv4) or 128-bit (IPv6) number. */
export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface IpBlock extends IpAddress {
  /** Prefix length in bits. */
  bits: number;
}

function parseV4(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith("0"))) return null;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}

function parseV6(s: string): bigint | null {
  const zone = s.indexOf("%"); // fe80::1%eth0: the zone names an interface, not part of the address
  if (zone >= 0) s = s.slice(0, zone);
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (text: string): number[] | null => {
    if (text === "") return [];
    const out: number[] = [];
    const items = text.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = parseV4(item); // trailing dotted quad: ::ffff:1.2.3.4
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-f]{1,4}$/i.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  let value = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) value = (value << 16n) | BigInt(g);
  return value;
}

/** An address, or null when `text` is not one. IPv4-mapped IPv6 addresses become IPv4. */
export function parseIp(text: string): IpAddress | null {
  const s = text.trim().replace(/^\[|\]$/g, "");
  const v4 = parseV4(s);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = parseV6(s);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { version: 4, value: v6 & 0xffffffffn };
  return { version: 6, value: v6 };
}

/** An address or CIDR block, or null when `text` is neither. */
export function parseIpBlock(text: string): IpBlock | null {
  const slash = text.indexOf("/");
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return null;
  const width = addr.version === 4 ? 32 : 128;
  if (slash < 0) return { ...addr, bits: width };
  const bitsText = text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  let bits = Number(bitsText);
  // A mapped IPv6 block (::ffff:10.0.0.0/104) is the IPv4 block it maps.
  if (addr.version === 4 && parseV4(text.slice(0, slash).trim()) === null) bits -= 96;
  if (bits < 0 || bits > width) return null;
  return { ...addr, bits };
}

export function blockContains(block: IpBlock, addr: IpAddress): boolean {
  if (block.version !== addr.version) return false;
  const width = BigInt(block.version === 4 ? 32 : 128);
  const shift = width - BigInt(block.bits);
  return block.value >> shift === addr.value >> shift;
}
