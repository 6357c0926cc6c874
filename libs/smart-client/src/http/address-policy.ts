import { isIP } from 'node:net';
import { embeddedIPv4, formatIPv4, hasPrefix, parseIPv4, parseIPv6 } from './ip-address.js';

/**
 * Which outbound destinations the broker may reach (SSRF defence). Every URL it fetches
 * comes from a tenant, an operator or a discovery document, so nothing is trusted:
 * - https only, unless the host is on the operator's allow-list (development, tests);
 * - no user-info in URLs (`https://user:pass@host` leaks credentials into logs);
 * - the resolved address must be public: loopback, private, link-local (cloud metadata at
 *   169.254.169.254), CGNAT, unique-local, multicast and reserved ranges are refused, and an
 *   IPv4 address hidden in IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64,
 *   6to4) is judged by that IPv4 address.
 * An allow-listed host may use http and resolve to any address.
 */

/** The named address ranges the policy refuses. */
export type BlockedRange =
  'unspecified' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'unique-local' | 'multicast' | 'reserved';

/** Why a destination was refused: a URL rule or an address range. */
export type BlockedRule = 'invalid-url' | 'scheme' | 'userinfo' | BlockedRange;

export type PolicyVerdict =
  { allowed: true; allowListed: boolean } | { allowed: false; rule: BlockedRule; detail: string };

export interface AddressClassification {
  range: BlockedRange;
  /** Set when an IPv6 address was judged by the IPv4 address it carries. */
  embeddedIPv4?: string;
}

type Ipv4Rule = readonly [base: string, prefixBits: number, range: BlockedRange];

/** IANA IPv4 special-purpose registry (RFC 6890 and successors), the parts that are not globally reachable. */
const IPV4_RULES: readonly Ipv4Rule[] = [
  ['0.0.0.0', 8, 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'], // RFC 6598 shared address space
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // includes 169.254.169.254, cloud instance metadata
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // TEST-NET-1
  ['192.88.99.0', 24, 'reserved'], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'], // TEST-NET-2
  ['203.0.113.0', 24, 'reserved'], // TEST-NET-3
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes the broadcast address 255.255.255.255
];

function ipv4Mask(prefixBits: number): number {
  return prefixBits === 0 ? 0 : (0xffffffff << (32 - prefixBits)) >>> 0;
}

function classifyIPv4(value: number): BlockedRange | null {
  for (const [base, prefixBits, range] of IPV4_RULES) {
    const mask = ipv4Mask(prefixBits);
    if ((value & mask) >>> 0 === (parseIPv4(base)! & mask) >>> 0) return range;
  }
  return null;
}

const v6 = (text: string): Uint8Array => parseIPv6(text)!;

/** IPv6 prefixes that carry an IPv4 address, and where it sits. */
const IPV6_EMBEDDING: readonly (readonly [prefix: Uint8Array, prefixBits: number, offset: number])[] = [
  [v6('::ffff:0:0'), 96, 12], // IPv4-mapped (RFC 4291 §2.5.5.2)
  [v6('64:ff9b::'), 96, 12], // NAT64 well-known prefix (RFC 6052)
  [v6('2002::'), 16, 2], // 6to4 (RFC 3056)
  [v6('::'), 96, 12], // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1); checked after :: and ::1
];

const IPV6_RULES: readonly (readonly [prefix: Uint8Array, prefixBits: number, range: BlockedRange])[] = [
  [v6('64:ff9b:1::'), 48, 'reserved'], // local-use NAT64
  [v6('100::'), 64, 'reserved'], // discard-only
  [v6('2001::'), 23, 'reserved'], // IETF protocol assignments, Teredo
  [v6('2001:db8::'), 32, 'reserved'], // documentation
  [v6('fc00::'), 7, 'unique-local'],
  [v6('fe80::'), 10, 'link-local'],
  [v6('fec0::'), 10, 'reserved'], // site-local, deprecated
  [v6('ff00::'), 8, 'multicast'],
];
const GLOBAL_UNICAST = v6('2000::');

function classifyIPv6(bytes: Uint8Array): AddressClassification | null {
  if (bytes.every((byte) => byte === 0)) return { range: 'unspecified' };
  if (bytes.slice(0, 15).every((byte) => byte === 0) && bytes[15] === 1) return { range: 'loopback' };
  for (const [prefix, prefixBits, offset] of IPV6_EMBEDDING) {
    if (hasPrefix(bytes, prefix, prefixBits)) {
      const ipv4 = embeddedIPv4(bytes, offset);
      const range = classifyIPv4(ipv4);
      return range ? { range, embeddedIPv4: formatIPv4(ipv4) } : null;
    }
  }
  for (const [prefix, prefixBits, range] of IPV6_RULES) {
    if (hasPrefix(bytes, prefix, prefixBits)) return { range };
  }
  // Only 2000::/3 is allocated as global unicast; anything else is not a destination on the internet.
  return hasPrefix(bytes, GLOBAL_UNICAST, 3) ? null : { range: 'reserved' };
}

/**
 * The blocked range an IP address belongs to, or null for a public address.
 * Throws on input that is not an IP address: callers pass resolver output or IP literals.
 */
export function classifyAddress(address: string): AddressClassification | null {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const ipv4 = parseIPv4(bare);
  if (ipv4 !== null) {
    const range = classifyIPv4(ipv4);
    return range ? { range } : null;
  }
  const ipv6 = parseIPv6(bare);
  if (ipv6 === null) throw new TypeError(`not an IP address: ${address}`);
  return classifyIPv6(ipv6);
}

interface AllowedHost {
  hostname: string;
  /** Undefined: any port. */
  port?: number;
}

/** Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal into a normalised entry. */
export function parseAllowedHost(entry: string): AllowedHost {
  const trimmed = entry.trim().toLowerCase();
  const bareIPv6 = isIP(trimmed) === 6;
  const match = bareIPv6 ? null : /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(trimmed);
  if (!bareIPv6 && !match) throw new TypeError(`invalid allowed host entry: ${entry}`);
  const host = bareIPv6 ? `[${trimmed}]` : match![1];
  // The WHATWG URL parser gives the same normalised form as `URL.hostname` later (IPv6 compression, IDNA).
  const hostname = new URL(`http://${host}`).hostname;
  return { hostname, port: match?.[2] ? Number(match[2]) : undefined };
}

export function effectivePort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

export interface AddressPolicy {
  /** True when the URL's host (and port, if the entry names one) is on the allow-list. */
  isAllowListed(url: URL): boolean;
  /** Checks what can be known without DNS: scheme, user-info and IP-literal hosts. */
  checkUrl(url: string | URL): PolicyVerdict;
  /** Checks an address the host resolved to (or connected to) for a URL that passed `checkUrl`. */
  checkAddress(url: URL, address: string): PolicyVerdict;
}

export function createAddressPolicy(allowedHosts: readonly string[]): AddressPolicy {
  const allowList = allowedHosts.filter((entry) => entry.trim()).map(parseAllowedHost);

  const isAllowListed = (url: URL): boolean =>
    allowList.some(
      (entry) => entry.hostname === url.hostname && (entry.port === undefined || entry.port === effectivePort(url)),
    );

  const checkAddress = (url: URL, address: string): PolicyVerdict => {
    if (isAllowListed(url)) return { allowed: true, allowListed: true };
    const blocked = classifyAddress(address);
    if (!blocked) return { allowed: true, allowListed: false };
    const via = blocked.embeddedIPv4 ? ` (embeds IPv4 ${blocked.embeddedIPv4})` : '';
    return { allowed: false, rule: blocked.range, detail: `${address}${via} is in a ${blocked.range} range` };
  };

  const checkUrl = (input: string | URL): PolicyVerdict => {
    let url: URL;
    try {
      url = typeof input === 'string' ? new URL(input) : input;
    } catch {
      return { allowed: false, rule: 'invalid-url', detail: 'not an absolute URL' };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return { allowed: false, rule: 'scheme', detail: `${url.protocol} is not http(s)` };
    }
    if (url.username || url.password) {
      return { allowed: false, rule: 'userinfo', detail: 'URLs with user-info are refused' };
    }
    const allowListed = isAllowListed(url);
    if (!allowListed) {
      // An IP literal is never resolved, so its address is judged here (and again on connect).
      const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(literal)) {
        const verdict = checkAddress(url, literal);
        if (!verdict.allowed) return verdict;
      }
      if (url.protocol !== 'https:') {
        return { allowed: false, rule: 'scheme', detail: `https is required for ${url.host}` };
      }
    }
    return { allowed: true, allowListed };
  };

  return { isAllowListed, checkUrl, checkAddress };
}
