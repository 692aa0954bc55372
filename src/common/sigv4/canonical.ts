/**
 * SigV4 canonicalisation (AWS rules for every service but S3), written as plain loops: it runs on
 * every request.
 *
 * - URI: dot segments removed and empty segments collapsed (RFC 3986 5.2.4 plus AWS's "//" rule,
 *   exactly as botocore and @smithy/signature-v4 do it), then every byte but the RFC 3986 unreserved
 *   set and '/' percent-encoded, upper-case hex. The input is the wire path, so this is the second
 *   encoding AWS specifies ("each path segment URI-encoded twice"): `%20` → `%2520`. A path given
 *   unencoded (the test suite's `get-space` / `get-utf8`) is encoded once, which gives the suite's
 *   expected form.
 * - Query: split on '&' (empty pieces ignored), key and value split at the first '='. Each is decoded
 *   (`%XX` → byte; '+' → space) and re-encoded over the unreserved set; a '%' not followed by two hex
 *   digits is a literal '%'. '+' is read as a space because that is how the broker's own query parser
 *   (Node querystring / Fastify) reads it: the signature then covers the values the handler sees, and
 *   `a=b+c` cannot pass as a signed `a=b%2Bc`. SDKs always send a literal '+' as %2B, so only a client
 *   that signs a raw '+' as '%2B' is refused. Sorted by encoded key, then encoded value (byte order). In
 *   query form `X-Amz-Signature` is left out.
 * - Headers: for each signed name, the value(s) trimmed of SP/HTAB, inner runs of SP/HTAB collapsed to
 *   one SP (inside quotes too: suite `get-header-value-trim`), repeated headers (arrays) joined with ','
 *   in order (`get-header-key-duplicate`, `get-header-value-order`). A value that still contains line
 *   breaks (obs-fold, `get-header-value-multiline`) is split into its lines, each line being treated as
 *   one value, joined with ',' — the suite's rule. (Node's default HTTP parser rejects obs-fold with a
 *   400, so in practice only a custom adapter can hand such a value in.)
 */
import { ALGORITHM, SCOPE_TERMINATOR, type HeaderMap, type ParsedSigV4, type SigV4Request } from './types.js';

/** "%00" … "%FF" */
const PCT: string[] = [];
for (let i = 0; i < 256; i++) PCT.push('%' + (i < 16 ? '0' : '') + i.toString(16).toUpperCase());

/** 1 for A-Z a-z 0-9 - . _ ~ */
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  ) {
    UNRESERVED[c] = 1;
  }
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** The UTF-8 percent-encoding of the code point starting at s[i] (a lone surrogate encodes as U+FFFD, as Buffer does). */
function encodeCodePoint(s: string, i: number): string {
  let c = s.charCodeAt(i);
  if (c < 0x800) return PCT[0xc0 | (c >> 6)]! + PCT[0x80 | (c & 63)]!;
  if (c >= 0xd800 && c <= 0xdfff) {
    const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      return PCT[0xf0 | (c >> 18)]! + PCT[0x80 | ((c >> 12) & 63)]! + PCT[0x80 | ((c >> 6) & 63)]! + PCT[0x80 | (c & 63)]!;
    }
    c = 0xfffd;
  }
  return PCT[0xe0 | (c >> 12)]! + PCT[0x80 | ((c >> 6) & 63)]! + PCT[0x80 | (c & 63)]!;
}

/** UTF-16 units taken by the code point at s[i]. */
function unitsAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) return 1;
  const d = s.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
}

/** Percent-encodes every UTF-8 byte of `s` but the unreserved set (and '/' when keepSlash); '%' included. */
export function uriEncode(s: string, keepSlash = false): string {
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!(c < 128 && (UNRESERVED[c] === 1 || (keepSlash && c === 0x2f)))) break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      out += UNRESERVED[c] === 1 || (keepSlash && c === 0x2f) ? s[i]! : PCT[c]!;
      i++;
    } else {
      out += encodeCodePoint(s, i);
      i += unitsAt(s, i);
    }
  }
  return out;
}

/** Decode-then-encode of one query key or value (see the module comment). */
export function canonicalQueryComponent(s: string): string {
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!(c < 128 && UNRESERVED[c] === 1)) break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      out += encodeCodePoint(s, i);
      i += unitsAt(s, i);
      continue;
    }
    if (UNRESERVED[c] === 1) {
      out += s[i];
    } else if (c === 0x25 && i + 2 < n) {
      const hi = hexVal(s.charCodeAt(i + 1));
      const lo = hexVal(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        const b = (hi << 4) | lo;
        out += b < 128 && UNRESERVED[b] === 1 ? String.fromCharCode(b) : PCT[b]!;
        i += 3;
        continue;
      }
      out += '%25';
    } else {
      out += c === 0x2b ? '%20' : PCT[c]!;
    }
    i++;
  }
  return out;
}

/** Path is '/'-rooted, only unreserved chars and '/', no empty, '.' or '..' segment: already canonical. */
function isCanonicalPath(path: string): boolean {
  const n = path.length;
  if (n === 0 || path.charCodeAt(0) !== 0x2f) return false;
  let segStart = 1;
  for (let i = 1; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const len = i - segStart;
      if (len === 0) {
        if (i < n) return false; // "//"
      } else if (path.charCodeAt(segStart) === 0x2e && (len === 1 || (len === 2 && path.charCodeAt(segStart + 1) === 0x2e))) {
        return false; // "." or ".."
      }
      segStart = i + 1;
    } else if (!(c < 128 && UNRESERVED[c] === 1)) {
      return false;
    }
  }
  return true;
}

/** Botocore's remove_dot_segments (which also collapses repeated '/'), identical to @smithy/signature-v4. */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const first = path.charCodeAt(0) === 0x2f ? '/' : '';
  const last = out.length > 0 && path.charCodeAt(path.length - 1) === 0x2f ? '/' : '';
  const result = first + out.join('/') + last;
  return result === '' ? '/' : result;
}

export function canonicalUri(path: string): string {
  if (isCanonicalPath(path)) return path;
  if (path === '') return '/';
  return uriEncode(normalizePath(path), true);
}

export function canonicalQueryString(query: string, excludeSignature: boolean): string {
  const n = query.length;
  if (n === 0) return '';
  // Each pair as key + '\0' + value: '\0' sorts below every character an encoded key can hold, so the
  // default (UTF-16 = byte order, all ASCII here) sort of these strings orders by key, then by value.
  const pairs: string[] = [];
  let start = 0;
  while (start <= n) {
    let amp = query.indexOf('&', start);
    if (amp < 0) amp = n;
    if (amp > start) {
      let eq = query.indexOf('=', start);
      if (eq < 0 || eq > amp) eq = amp;
      const k = canonicalQueryComponent(query.slice(start, eq));
      if (!(excludeSignature && k === 'X-Amz-Signature')) {
        pairs.push(k + '\0' + (eq + 1 >= amp ? '' : canonicalQueryComponent(query.slice(eq + 1, amp))));
      }
    }
    start = amp + 1;
  }
  if (pairs.length > 1) pairs.sort();
  return pairs.join('&').replaceAll('\0', '=');
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Trim SP/HTAB and collapse inner runs of SP/HTAB to one SP. */
function trimAll(v: string): string {
  let out = '';
  let pendingSpace = false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (isWs(c)) {
      pendingSpace = out.length > 0;
    } else {
      if (pendingSpace) out += ' ';
      pendingSpace = false;
      out += v[i];
    }
  }
  return out;
}

function canonicalSingleValue(v: string): string {
  const n = v.length;
  // Fast path (native scans): nothing to trim, collapse or unfold.
  if (
    n === 0 ||
    (!isWs(v.charCodeAt(0)) &&
      !isWs(v.charCodeAt(n - 1)) &&
      v.indexOf('  ') < 0 &&
      v.indexOf('\t') < 0 &&
      v.indexOf('\n') < 0 &&
      v.indexOf('\r') < 0)
  ) {
    return v;
  }
  if (v.indexOf('\n') < 0 && v.indexOf('\r') < 0) return trimAll(v);
  const parts: string[] = [];
  for (const line of v.split(/\r\n|\r|\n/)) {
    const t = trimAll(line);
    if (t !== '') parts.push(t);
  }
  return parts.join(',');
}

export function canonicalHeaderValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return canonicalSingleValue(v);
  if (v.length === 1) return canonicalSingleValue(v[0]!);
  let out = '';
  for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + canonicalSingleValue(String(v[i]));
  return out;
}

/** A header's value; `host` falls back to HTTP/2's `:authority`. */
export function getHeader(headers: HeaderMap, name: string): string | string[] | undefined {
  const v = headers[name];
  if (v === undefined && name === 'host') return headers[':authority'];
  return v;
}

/**
 * The canonical request. A signed header missing from `req.headers` contributes an empty value
 * (`verifySigV4` rejects such a request before getting here).
 */
export function canonicalRequest(
  req: SigV4Request,
  parsed: Pick<ParsedSigV4, 'form' | 'signedHeaders'>,
  payloadHash: string,
): string {
  return canonicalRequestPrefix(req, parsed) + payloadHash;
}

/** The canonical request up to and including the '\n' before the payload hash. */
export function canonicalRequestPrefix(req: SigV4Request, parsed: Pick<ParsedSigV4, 'form' | 'signedHeaders'>): string {
  let s = req.method + '\n' + canonicalUri(req.path) + '\n' + canonicalQueryString(req.query, parsed.form === 'query') + '\n';
  const names = parsed.signedHeaders;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    s += name + ':' + canonicalHeaderValue(getHeader(req.headers, name)) + '\n';
  }
  return s + '\n' + names.join(';') + '\n';
}

export function credentialScope(c: { date: string; region: string; service: string }): string {
  return c.date + '/' + c.region + '/' + c.service + '/' + SCOPE_TERMINATOR;
}

export function stringToSign(parsed: Pick<ParsedSigV4, 'amzDate' | 'credential'>, canonicalRequestHash: string): string {
  return ALGORITHM + '\n' + parsed.amzDate + '\n' + credentialScope(parsed.credential) + '\n' + canonicalRequestHash;
}
