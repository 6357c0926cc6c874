import { isIPv4, isIPv6 } from 'node:net';

/**
 * Minimal IP parsing for the outbound address policy. Node's `net.BlockList` cannot tell
 * WHICH range matched and does not look inside IPv4-mapped IPv6 addresses consistently
 * across versions, so the policy parses addresses itself.
 */

/** An IPv4 address as an unsigned 32-bit integer, or null if `text` is not dotted-quad IPv4. */
export function parseIPv4(text: string): number | null {
  if (!isIPv4(text)) return null;
  return text.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** An IPv6 address as 16 bytes (zone id ignored), or null if `text` is not IPv6. */
export function parseIPv6(text: string): Uint8Array | null {
  const address = text.replace(/%.*$/, '');
  if (!isIPv6(address)) return null;

  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const groups = (part: string | undefined): number[] => {
    if (!part) return [];
    return part.split(':').flatMap((group) => {
      // A trailing dotted quad (e.g. `::ffff:127.0.0.1`) stands for the last two groups.
      const v4 = parseIPv4(group);
      return v4 === null ? [parseInt(group, 16)] : [v4 >>> 16, v4 & 0xffff];
    });
  };
  const headGroups = groups(head);
  const tailGroups = groups(tail);
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => 0);
  const all = [...headGroups, ...zeros, ...tailGroups];

  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** True when the first `prefixBits` bits of `bytes` equal those of `prefix`. */
export function hasPrefix(bytes: Uint8Array, prefix: Uint8Array, prefixBits: number): boolean {
  for (let bit = 0; bit < prefixBits; bit += 8) {
    const remaining = Math.min(8, prefixBits - bit);
    const mask = (0xff << (8 - remaining)) & 0xff;
    const index = bit / 8;
    if ((bytes[index] & mask) !== (prefix[index] & mask)) return false;
  }
  return true;
}

/** The IPv4 address held in 4 bytes of an IPv6 address starting at `offset`. */
export function embeddedIPv4(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) >>> 0) + (bytes[offset + 1] << 16) + (bytes[offset + 2] << 8) + bytes[offset + 3];
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}
