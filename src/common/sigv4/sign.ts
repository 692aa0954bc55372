import { hash } from 'node:crypto';
import { canonicalRequest, credentialScope, stringToSign, uriEncode } from './canonical.js';
import { formatAmzDate } from './dates.js';
import { defaultSigningKeyCache, type SigningKeyCache } from './signing-key-cache.js';
import { ALGORITHM, type HeaderMap, type SigV4Credential, type SigV4Request } from './types.js';
import { sha256Hex } from './verify.js';

export interface SignRequestInput {
  method: string;
  /**
   * Absolute URL (`https://host[:port]/path?query`) or origin-form (`/path?query`, with a `host`
   * header). Path and query are used verbatim, so they must already be percent-encoded as they will be
   * sent; nothing is re-encoded or normalised here beyond what canonicalisation does.
   */
  url: string;
  headers?: HeaderMap;
  body?: Buffer | string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region: string;
  service: string;
  /** Default: now. */
  date?: Date;
  /** Set to produce a presigned URL (query form) valid for this many seconds instead of an Authorization header. */
  presignExpiresSeconds?: number;
  /** Header form: whether X-Amz-Security-Token is a signed header (default true; false = suite's post-sts-header-after). */
  signSessionToken?: boolean;
  /** Override the payload hash, e.g. 'UNSIGNED-PAYLOAD' for a presigned URL. Default: SHA-256 of the body. */
  payloadHash?: string;
  signingKeyCache?: SigningKeyCache;
}

export interface SignedRequest extends SigV4Request {
  /** The URL to send (with the X-Amz-* parameters when presigned). */
  url: string;
  /** Headers to send, lower-case: the input's plus host, x-amz-date, x-amz-security-token, authorization. */
  headers: Record<string, string | string[]>;
  /** Header form only. */
  authorization?: string;
  signature: string;
  canonicalRequest: string;
  stringToSign: string;
}

/** Never signed (as @smithy/signature-v4): hop-by-hop or commonly rewritten by proxies. */
const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

function splitUrl(url: string): { origin: string; authority: string; path: string; query: string } {
  let rest = url;
  let origin = '';
  let authority = '';
  const scheme = url.indexOf('://');
  if (scheme >= 0) {
    let end = scheme + 3;
    while (end < url.length && url[end] !== '/' && url[end] !== '?' && url[end] !== '#') end++;
    origin = url.slice(0, end);
    authority = url.slice(scheme + 3, end);
    authority = authority.slice(authority.lastIndexOf('@') + 1);
    rest = url.slice(end);
  }
  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) rest = rest.slice(0, hashAt);
  const q = rest.indexOf('?');
  const path = q >= 0 ? rest.slice(0, q) : rest;
  return { origin, authority, path: path === '' ? '/' : path, query: q >= 0 ? rest.slice(q + 1) : '' };
}

/**
 * A small SigV4 signer (for tests and the broker's own clients). Header form by default: adds host,
 * x-amz-date, x-amz-security-token and authorization, signing every header given except the
 * unsignable ones above. With `presignExpiresSeconds`: a presigned URL signing `host` and the given
 * headers, X-Amz-Security-Token in the query, payload hash = SHA-256 of the body (as STS and the SDKs
 * presign non-S3 requests) unless `payloadHash` says otherwise.
 */
export function signRequest(input: SignRequestInput): SignedRequest {
  const { origin, authority, path, query } = splitUrl(input.url);
  const amzDate = formatAmzDate(input.date ?? new Date());
  const credential: SigV4Credential = {
    accessKeyId: input.credentials.accessKeyId,
    date: amzDate.slice(0, 8),
    region: input.region,
    service: input.service,
  };
  const token = input.credentials.sessionToken;
  const presign = input.presignExpiresSeconds !== undefined;

  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const prev = headers[lower];
    headers[lower] = prev === undefined ? value : ([] as string[]).concat(prev, value);
  }
  delete headers['authorization'];
  delete headers['x-amz-date'];
  delete headers['x-amz-security-token'];
  if (headers['host'] === undefined) {
    if (authority === '') throw new Error('signRequest: a host header is required with an origin-form url');
    headers['host'] = authority;
  }
  if (!presign) {
    headers['x-amz-date'] = amzDate;
    if (token !== undefined) headers['x-amz-security-token'] = token;
  }

  const signedHeaders = Object.keys(headers)
    .filter(
      (h) =>
        !UNSIGNABLE.has(h) &&
        !h.startsWith('proxy-') &&
        !h.startsWith('sec-') &&
        !(h === 'x-amz-security-token' && input.signSessionToken === false),
    )
    .sort();
  const payloadHash = input.payloadHash ?? sha256Hex(input.body);
  const scope = credentialScope(credential);

  let signedQuery = query;
  if (presign) {
    const params: [string, string][] = [
      ['X-Amz-Algorithm', ALGORITHM],
      ['X-Amz-Credential', `${credential.accessKeyId}/${scope}`],
      ['X-Amz-Date', amzDate],
      ['X-Amz-Expires', String(input.presignExpiresSeconds)],
      ['X-Amz-SignedHeaders', signedHeaders.join(';')],
    ];
    if (token !== undefined) params.push(['X-Amz-Security-Token', token]);
    const extra = params.map(([k, v]) => `${k}=${uriEncode(v)}`).join('&');
    signedQuery = query === '' ? extra : `${query}&${extra}`;
  }

  const req: SigV4Request = { method: input.method, path, query: signedQuery, headers };
  if (input.body !== undefined) req.body = input.body;
  const creq = canonicalRequest(req, { form: presign ? 'query' : 'header', signedHeaders }, payloadHash);
  const sts = stringToSign({ amzDate, credential }, hash('sha256', creq, 'hex'));
  const signature = (input.signingKeyCache ?? defaultSigningKeyCache)
    .sign(credential.accessKeyId, input.credentials.secretAccessKey, credential.date, credential.region, credential.service, sts)
    .toString('hex');

  const result: SignedRequest = {
    ...req,
    headers,
    url: '',
    signature,
    canonicalRequest: creq,
    stringToSign: sts,
  };
  if (presign) {
    result.query = `${signedQuery}&X-Amz-Signature=${signature}`;
  } else {
    result.authorization = `${ALGORITHM} Credential=${credential.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
    headers['authorization'] = result.authorization;
  }
  result.url = origin + path + (result.query === '' ? '' : `?${result.query}`);
  return result;
}
