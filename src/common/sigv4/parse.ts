import { formatAmzDate, isScopeDate, parseAmzDate, parseHttpDate } from './dates.js';
import { SigV4Error } from './errors.js';
import { ALGORITHM, SCOPE_TERMINATOR, type HeaderMap, type ParsedSigV4, type SigV4Credential, type SigV4Request } from './types.js';

const QUERY_AUTH_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
  'x-amz-content-sha256', // @smithy/signature-v4 hoists x-amz-* headers into the query with their header-case name
]);

const UNSUPPORTED_MECHANISM =
  'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';

function incomplete(message: string): SigV4Error {
  return new SigV4Error('IncompleteSignature', message);
}

/** For messages: never echo more than a short prefix of client input. */
function clip(s: string): string {
  const safe = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return safe.length > 64 ? safe.slice(0, 64) + '…' : safe;
}

function singleHeader(
  headers: HeaderMap,
  name: string,
  code: 'IncompleteSignature' | 'InvalidRequest' = 'IncompleteSignature',
): string | undefined {
  const v = headers[name];
  if (v === undefined || typeof v === 'string') return v;
  if (v.length === 0) return undefined;
  if (v.length > 1) throw new SigV4Error(code, `Multiple '${name}' headers are not allowed.`);
  return v[0];
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function decodeComponent(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  // '+' is a space, as in the canonical query (canonical.ts).
  return decodeURIComponent(s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' '));
}

/** The X-Amz-* auth parameters of the query, decoded; null when there are none. */
function queryAuthParams(query: string): Map<string, string[]> | null {
  if (query.length === 0 || (query.indexOf('X-Amz-') < 0 && query.indexOf('%') < 0)) return null;
  let map: Map<string, string[]> | null = null;
  const n = query.length;
  let start = 0;
  while (start < n) {
    let amp = query.indexOf('&', start);
    if (amp < 0) amp = n;
    if (amp > start) {
      let eq = query.indexOf('=', start);
      if (eq < 0 || eq > amp) eq = amp;
      let key = query.slice(start, eq);
      if (key.indexOf('%') >= 0 || key.indexOf('+') >= 0) {
        try {
          key = decodeComponent(key);
        } catch {
          key = ''; // not one of ours; the canonical query keeps it as a literal
        }
      }
      if (QUERY_AUTH_PARAMS.has(key)) {
        let value: string;
        try {
          value = eq === amp ? '' : decodeComponent(query.slice(eq + 1, amp));
        } catch {
          throw incomplete(`Query parameter '${key}' has a malformed percent-encoding.`);
        }
        map ??= new Map();
        const list = map.get(key);
        if (list) list.push(value);
        else map.set(key, [value]);
      }
    }
    start = amp + 1;
  }
  return map;
}

function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** RFC 7230 tchar, lower-case letters only. */
const HEADER_NAME = table("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~");
const HEX_LOWER = table('0123456789abcdef');
/** Region and service names: [A-Za-z0-9._-]. */
const SCOPE_NAME = table('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-');

function allIn(s: string, t: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return false;
  }
  return true;
}

function parseSignedHeaders(value: string): string[] {
  const names: string[] = [];
  let prev = '';
  for (let start = 0; start <= value.length; ) {
    let semi = value.indexOf(';', start);
    if (semi < 0) semi = value.length;
    const name = value.slice(start, semi);
    if (name.length === 0 || !(prev < name) || !allIn(name, HEADER_NAME)) {
      throw incomplete(
        `SignedHeaders must be a ';'-separated list of distinct lower-case header names in ascending order, not '${clip(value)}'.`,
      );
    }
    names.push(name);
    prev = name;
    start = semi + 1;
  }
  return names;
}

function parseSignature(value: string): string {
  if (value.length !== 64 || !allIn(value, HEX_LOWER)) throw incomplete('Signature must be 64 lower-case hexadecimal characters.');
  return value;
}

/** Region and service names: [A-Za-z0-9._-]{1,64} (so no separator of the signing-key cache key can appear). */
function isScopeName(s: string): boolean {
  return s.length > 0 && s.length <= 64 && allIn(s, SCOPE_NAME);
}

function parseCredential(value: string): SigV4Credential {
  // indexOf scanning rather than split('/'): this runs on every request.
  const s1 = value.indexOf('/');
  const s2 = s1 < 0 ? -1 : value.indexOf('/', s1 + 1);
  const s3 = s2 < 0 ? -1 : value.indexOf('/', s2 + 1);
  const s4 = s3 < 0 ? -1 : value.indexOf('/', s3 + 1);
  if (s4 < 0 || value.indexOf('/', s4 + 1) >= 0) {
    throw incomplete(
      'Credential is malformed; expecting "<access key id>/YYYYMMDD/<region>/<service>/aws4_request".',
    );
  }
  const accessKeyId = value.slice(0, s1);
  const date = value.slice(s1 + 1, s2);
  const region = value.slice(s2 + 1, s3);
  const service = value.slice(s3 + 1, s4);
  const terminator = value.slice(s4 + 1);
  let akOk = accessKeyId.length > 0 && accessKeyId.length <= 128;
  for (let i = 0; akOk && i < accessKeyId.length; i++) {
    const c = accessKeyId.charCodeAt(i);
    akOk = c > 0x20 && c < 0x7f;
  }
  if (!akOk) throw incomplete('Credential has a malformed access key id.');
  if (!isScopeDate(date)) throw incomplete('Invalid credential date. Date is not the required format: yyyyMMdd.');
  if (!isScopeName(region)) throw incomplete(`Credential has a malformed region: '${clip(region)}'.`);
  if (!isScopeName(service)) throw incomplete(`Credential has a malformed service: '${clip(service)}'.`);
  if (terminator !== SCOPE_TERMINATOR) {
    throw incomplete(`Credential should be scoped with a valid terminator: 'aws4_request', not '${clip(terminator)}'.`);
  }
  return { accessKeyId, date, region, service };
}

function badAmzDate(v: string): SigV4Error {
  return incomplete(
    `Date must be in ISO-8601 'basic format'. Got '${clip(v)}'. See http://en.wikipedia.org/wiki/ISO_8601`,
  );
}

function parseHeaderForm(authz: string, headers: HeaderMap): ParsedSigV4 {
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  // authz is trimmed and starts with the algorithm; the parameters are ','-separated key=value pairs.
  const n = authz.length;
  for (let start = ALGORITHM.length; start < n; ) {
    let comma = authz.indexOf(',', start);
    if (comma < 0) comma = n;
    const part = trimOws(authz.slice(start, comma));
    start = comma + 1;
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw incomplete(`'${clip(part)}' not a valid key=value pair (missing equal-sign) in Authorization header.`);
    }
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (key === 'Credential' && credential === undefined) credential = value;
    else if (key === 'SignedHeaders' && signedHeaders === undefined) signedHeaders = value;
    else if (key === 'Signature' && signature === undefined) signature = value;
    else if (key === 'Credential' || key === 'SignedHeaders' || key === 'Signature') {
      throw incomplete(`Authorization header has more than one '${key}' parameter.`);
    } else {
      throw incomplete(`Authorization header has an unknown parameter '${clip(key)}'.`);
    }
  }

  const xAmzDate = singleHeader(headers, 'x-amz-date');
  const dateHeader = xAmzDate === undefined ? singleHeader(headers, 'date') : undefined;
  if (credential === undefined || signature === undefined || signedHeaders === undefined || (xAmzDate ?? dateHeader) === undefined) {
    const missing: string[] = [];
    if (credential === undefined) missing.push("Authorization header requires 'Credential' parameter.");
    if (signature === undefined) missing.push("Authorization header requires 'Signature' parameter.");
    if (signedHeaders === undefined) missing.push("Authorization header requires 'SignedHeaders' parameter.");
    if (xAmzDate === undefined && dateHeader === undefined) {
      missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    throw incomplete(missing.join(' '));
  }

  let amzDate: string;
  let requestTime: Date | null;
  if (xAmzDate !== undefined) {
    amzDate = trimOws(xAmzDate);
    requestTime = parseAmzDate(amzDate);
    if (requestTime === null) throw badAmzDate(amzDate);
  } else {
    requestTime = parseHttpDate(trimOws(dateHeader!));
    if (requestTime === null) throw incomplete(`Date header must be an RFC 7231 IMF-fixdate. Got '${clip(dateHeader!)}'.`);
    amzDate = formatAmzDate(requestTime);
  }

  const parsed: ParsedSigV4 = {
    form: 'header',
    credential: parseCredential(credential!),
    signedHeaders: parseSignedHeaders(signedHeaders!),
    signature: parseSignature(signature!),
    amzDate,
    requestTime,
    dateSource: xAmzDate !== undefined ? 'x-amz-date' : 'date',
  };
  const token = singleHeader(headers, 'x-amz-security-token');
  if (token !== undefined) parsed.securityToken = token;
  const contentSha256 = singleHeader(headers, 'x-amz-content-sha256', 'InvalidRequest');
  if (contentSha256 !== undefined) parsed.contentSha256 = trimOws(contentSha256);
  return parsed;
}

function parseQueryForm(q: Map<string, string[]>, headers: HeaderMap): ParsedSigV4 {
  const get = (k: string): string | undefined => {
    const list = q.get(k);
    if (list === undefined) return undefined;
    if (list.length > 1) throw incomplete(`Query parameter '${k}' is given more than once.`);
    return list[0];
  };
  const algorithm = get('X-Amz-Algorithm');
  if (algorithm !== undefined && algorithm !== ALGORITHM) {
    throw incomplete('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".');
  }
  const credential = get('X-Amz-Credential');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  const amzDate = get('X-Amz-Date');
  if (
    algorithm === undefined ||
    credential === undefined ||
    signedHeaders === undefined ||
    signature === undefined ||
    amzDate === undefined
  ) {
    throw incomplete(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date and X-Amz-SignedHeaders parameters.',
    );
  }
  const requestTime = parseAmzDate(amzDate);
  if (requestTime === null) throw badAmzDate(amzDate);

  const parsed: ParsedSigV4 = {
    form: 'query',
    credential: parseCredential(credential),
    signedHeaders: parseSignedHeaders(signedHeaders),
    signature: parseSignature(signature),
    amzDate,
    requestTime,
    dateSource: 'X-Amz-Date',
  };

  const expires = get('X-Amz-Expires');
  if (expires !== undefined) {
    let ok = expires.length > 0 && expires.length <= 9;
    for (let i = 0; ok && i < expires.length; i++) {
      const c = expires.charCodeAt(i);
      ok = c >= 0x30 && c <= 0x39;
    }
    const seconds = ok ? Number(expires) : 0;
    if (seconds < 1) {
      throw new SigV4Error('AuthorizationQueryParametersError', 'X-Amz-Expires must be a positive integer number of seconds.');
    }
    parsed.expiresSeconds = seconds;
  }

  const queryToken = get('X-Amz-Security-Token');
  const headerToken = singleHeader(headers, 'x-amz-security-token');
  if (queryToken !== undefined && headerToken !== undefined && queryToken !== headerToken) {
    throw incomplete('X-Amz-Security-Token is given both as a query parameter and as a header, with different values.');
  }
  const token = queryToken ?? headerToken;
  if (token !== undefined) parsed.securityToken = token;

  const contentSha256 =
    get('X-Amz-Content-Sha256') ?? get('x-amz-content-sha256') ?? singleHeader(headers, 'x-amz-content-sha256', 'InvalidRequest');
  if (contentSha256 !== undefined) parsed.contentSha256 = trimOws(contentSha256);
  return parsed;
}

/**
 * Reads SigV4 authentication from a request (Authorization header, or presigned query parameters).
 *
 * Returns null when the request carries no SigV4 at all: no Authorization header (or one with a
 * non-AWS scheme such as "Bearer", left to other authenticators) and no X-Amz-Algorithm /
 * X-Amz-Credential / X-Amz-Signature query parameter. The caller answers that with
 * MissingAuthenticationToken when the route needs SigV4.
 *
 * Throws SigV4Error when SigV4 is present but malformed (IncompleteSignature, or
 * AuthorizationQueryParametersError for X-Amz-Expires), uses another AWS algorithm (AWS, AWS4-ECDSA-…,
 * AWS4-HMAC-SHA512 … → IncompleteSignature), or is given both ways (InvalidRequest).
 * Checks no time window and no signature: that is `verifySigV4`.
 */
export function parseSigV4(req: SigV4Request): ParsedSigV4 | null {
  const authz = singleHeader(req.headers, 'authorization');
  let headerForm = false;
  if (authz !== undefined) {
    const a = trimOws(authz);
    let end = 0;
    while (end < a.length && a.charCodeAt(end) !== 0x20 && a.charCodeAt(end) !== 0x09) end++;
    const scheme = a.slice(0, end);
    if (scheme === ALGORITHM) headerForm = true;
    else if (scheme.startsWith('AWS')) throw incomplete(UNSUPPORTED_MECHANISM);
  }
  const q = queryAuthParams(req.query);
  const queryForm = q !== null && (q.has('X-Amz-Algorithm') || q.has('X-Amz-Credential') || q.has('X-Amz-Signature'));
  if (headerForm && queryForm) {
    throw new SigV4Error(
      'InvalidRequest',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.',
    );
  }
  if (headerForm) return parseHeaderForm(trimOws(authz!), req.headers);
  if (queryForm) return parseQueryForm(q!, req.headers);
  return null;
}
