/**
 * Rules for the URLs and addresses the broker itself connects to (OIDC discovery documents and JWKS):
 * https only, plain http and loopback only when explicitly allowed (tests, local CI runners), and never
 * an internal address (private, loopback, link-local, unique-local, CGNAT, multicast, reserved).
 *
 * Pure: no I/O. The caller resolves host names and passes the addresses to `refusedAddress`.
 */

/** What an IP address is, for outbound-connection purposes. Only `public` may be reached. */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

export interface OutboundRules {
  /** Allow http:// and https:// to loopback hosts (127.0.0.0/8, ::1, localhost). Never in production. */
  allowLoopback: boolean;
}

export type OutboundUrlCheck =
  | {
      ok: true;
      url: URL;
      /** Host name or address without IPv6 brackets. */
      host: string;
      /** 4 or 6 for an address literal, 0 for a name. */
      ipVersion: 0 | 4 | 6;
      /** The host is a loopback name or address (only when allowed). */
      loopback: boolean;
    }
  | { ok: false; reason: string };

export type IssuerUrlCheck = { ok: true; url: string; hostAndPath: string } | { ok: false; reason: string };

/** Longest issuer URL a provider can have (the column's size, as AWS). */
export const MAX_ISSUER_URL_LENGTH = 255;
/** Longest JWKS URL. */
export const MAX_JWKS_URL_LENGTH = 2048;

// ------------------------------------------------------------------------------------------------
// Addresses
// ------------------------------------------------------------------------------------------------

/** Parses a dotted-quad IPv4 address (strict: four decimal parts 0-255, no leading zeros). */
export function parseIPv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/** Parses an IPv6 address (with "::" compression, an embedded IPv4 tail, an optional %zone) into 16 bytes. */
export function parseIPv6(input: string): number[] | null {
  let s = input;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length === 0 || s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let tail: number[] = [];
  if (s.includes('.')) {
    // An embedded IPv4 address takes the last 32 bits: "::ffff:1.2.3.4", "64:ff9b::1.2.3.4", "::1.2.3.4".
    const lastColon = s.lastIndexOf(':');
    const v4 = lastColon >= 0 ? parseIPv4(s.slice(lastColon + 1)) : null;
    if (!v4) return null;
    tail = v4;
    const head = s.slice(0, lastColon + 1);
    s = head.endsWith('::') ? head : head.slice(0, -1);
  }
  const groupsNeeded = tail.length ? 6 : 8;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string): number[] | null => {
    if (h === '') return [];
    const gs = h.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return null;
  let groups: number[];
  if (halves.length === 2) {
    const fill = groupsNeeded - head.length - rest.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== groupsNeeded) return null;
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...tail];
}

const inV4 = (b: number[], net: [number, number, number, number], bits: number): boolean => {
  for (let i = 0; i < 4; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    if (take === 0) return true;
    const mask = (0xff << (8 - take)) & 0xff;
    if ((b[i]! & mask) !== (net[i]! & mask)) return false;
  }
  return true;
};

function classifyV4(b: number[]): AddressKind {
  if (inV4(b, [0, 0, 0, 0], 8)) return 'unspecified';
  if (inV4(b, [127, 0, 0, 0], 8)) return 'loopback';
  if (inV4(b, [10, 0, 0, 0], 8) || inV4(b, [172, 16, 0, 0], 12) || inV4(b, [192, 168, 0, 0], 16)) return 'private';
  if (inV4(b, [100, 64, 0, 0], 10)) return 'cgnat';
  if (inV4(b, [169, 254, 0, 0], 16)) return 'link-local';
  if (inV4(b, [224, 0, 0, 0], 4)) return 'multicast';
  if (
    inV4(b, [240, 0, 0, 0], 4) || // reserved, and 255.255.255.255 broadcast
    inV4(b, [192, 0, 0, 0], 24) || // IETF protocol assignments
    inV4(b, [192, 0, 2, 0], 24) ||
    inV4(b, [198, 51, 100, 0], 24) ||
    inV4(b, [203, 0, 113, 0], 24) || // documentation
    inV4(b, [198, 18, 0, 0], 15) || // benchmarking
    inV4(b, [192, 88, 99, 0], 24) // 6to4 relay anycast (deprecated)
  ) {
    return 'reserved';
  }
  return 'public';
}

const allZero = (b: number[], from: number, to: number) => b.slice(from, to).every((x) => x === 0);

function classifyV6(b: number[]): AddressKind {
  if (allZero(b, 0, 16)) return 'unspecified';
  if (allZero(b, 0, 15) && b[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d: what is reached is the IPv4 address.
  if (allZero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(b.slice(12));
  // IPv4-compatible ::a.b.c.d (deprecated) and the rest of ::/96.
  if (allZero(b, 0, 12)) return 'reserved';
  // NAT64 64:ff9b::/96 reaches the embedded IPv4 address; 64:ff9b:1::/48 is for local use.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (allZero(b, 4, 12)) return classifyV4(b.slice(12));
    if (b[4] === 0 && b[5] === 1) return 'private';
  }
  if (b[0] === 0xff) return 'multicast';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'reserved'; // site-local (deprecated)
  if ((b[0]! & 0xfe) === 0xfc) return 'unique-local';
  // 6to4 2002::/16 embeds an IPv4 address.
  if (b[0] === 0x20 && b[1] === 0x02) {
    const v4 = classifyV4(b.slice(2, 6));
    return v4 === 'public' ? 'public' : v4;
  }
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x00 && b[3] === 0x00) return 'reserved'; // Teredo
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'reserved'; // documentation
  if (b[0] === 0x01 && allZero(b, 1, 8)) return 'reserved'; // discard-only 100::/64
  // Only global unicast 2000::/3 is reachable on the internet.
  if ((b[0]! & 0xe0) !== 0x20) return 'reserved';
  return 'public';
}

/** The IP version of an address literal (IPv6 without brackets), or 0 when it is not one. */
export function ipVersion(address: string): 0 | 4 | 6 {
  if (parseIPv4(address)) return 4;
  if (address.includes(':') && parseIPv6(address)) return 6;
  return 0;
}

/** Classifies an IPv4 or IPv6 address (IPv4-mapped IPv6 as its IPv4 address); null when it is not an address. */
export function classifyAddress(address: string): AddressKind | null {
  const s = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = parseIPv4(s);
  if (v4) return classifyV4(v4);
  const v6 = s.includes(':') ? parseIPv6(s) : null;
  return v6 ? classifyV6(v6) : null;
}

/** True for "localhost" (and "localhost."), 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === 'localhost.') return true;
  return classifyAddress(h) === 'loopback';
}

/**
 * Why a set of resolved addresses must not be connected to, or null when every one is public.
 * All must be public: a name that resolves to both a public and an internal address is refused.
 */
export function refusedAddress(addresses: string[]): string | null {
  if (addresses.length === 0) return 'the host name did not resolve to any address';
  for (const a of addresses) {
    const kind = classifyAddress(a);
    if (kind === null) return 'the host name resolved to something that is not an IP address';
    if (kind !== 'public') return `the host name resolves to a ${kind} address`;
  }
  return null;
}

// ------------------------------------------------------------------------------------------------
// URLs
// ------------------------------------------------------------------------------------------------

function parseUrl(raw: string): URL | null {
  if (typeof raw !== 'string' || raw.length === 0 || /[\s\x00-\x1f\x7f]/.test(raw)) return null;
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/**
 * Whether the broker may fetch this URL: https (or http/https to a loopback host when allowed), no
 * credentials in it, and an address literal must be public (or loopback when allowed). Host names other
 * than "localhost" pass here; the caller must still resolve them and check the addresses with
 * `refusedAddress` before connecting (and connect to the checked address).
 */
export function checkOutboundUrl(raw: string, rules: OutboundRules): OutboundUrlCheck {
  const url = parseUrl(raw);
  if (!url) return { ok: false, reason: 'not a valid absolute URL' };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'only https URLs are allowed' };
  if (url.username || url.password) return { ok: false, reason: 'URLs with credentials (user:password@) are not allowed' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) return { ok: false, reason: 'the URL has no host' };
  const loopback = isLoopbackHost(host);
  if (loopback) {
    if (!rules.allowLoopback) return { ok: false, reason: 'loopback hosts are not allowed' };
    return { ok: true, url, host, ipVersion: ipVersion(host), loopback: true };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'only https URLs are allowed' };
  const version = ipVersion(host);
  if (version !== 0) {
    const kind = classifyAddress(host)!;
    if (kind !== 'public') return { ok: false, reason: `the host is a ${kind} address` };
  }
  return { ok: true, url, host, ipVersion: version, loopback: false };
}

/**
 * The canonical form of an issuer URL, as providers store it and tokens are matched against it:
 * scheme, host (lower case, default port dropped) and path without trailing slashes; null when the
 * text is not an http(s) URL without query, fragment or credentials. No policy beyond that.
 */
export function canonicalIssuer(raw: string): string | null {
  const url = parseUrl(raw);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return null;
  if (url.username || url.password || url.search || url.hash || raw.includes('?') || raw.includes('#')) return null;
  if (!url.hostname) return null;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Validates an OIDC provider's issuer URL: https (or http on loopback when allowed), no query, fragment
 * or credentials, at most 255 characters; the trailing slash is removed. `hostAndPath` names the provider
 * in its ARN.
 */
export function parseIssuerUrl(raw: string, rules: OutboundRules): IssuerUrlCheck {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, reason: 'The provider URL is required.' };
  if (raw.length > MAX_ISSUER_URL_LENGTH) return { ok: false, reason: `The provider URL must be at most ${MAX_ISSUER_URL_LENGTH} characters.` };
  if (!/^https?:\/\//i.test(raw)) return { ok: false, reason: 'The provider URL must begin with https://.' };
  const checked = checkOutboundUrl(raw, rules);
  if (!checked.ok) return { ok: false, reason: `The provider URL is not allowed: ${checked.reason}.` };
  const url = canonicalIssuer(raw);
  if (!url) return { ok: false, reason: 'The provider URL must not contain a query, a fragment or credentials.' };
  const hostAndPath = url.replace(/^https?:\/\//, '');
  if (hostAndPath.includes('%') || /[\s]/.test(hostAndPath)) return { ok: false, reason: 'The provider URL contains characters that cannot appear in an ARN.' };
  return { ok: true, url, hostAndPath };
}
