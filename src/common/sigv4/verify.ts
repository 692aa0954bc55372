import { hash } from 'node:crypto';
import { canonicalRequestPrefix, getHeader, stringToSign } from './canonical.js';
import { formatAmzDate } from './dates.js';
import { SIGNATURE_MISMATCH_MESSAGE, SigV4Error } from './errors.js';
import { defaultSigningKeyCache, type SigningKeyCache } from './signing-key-cache.js';
import { EMPTY_SHA256, UNSIGNED_PAYLOAD, type ParsedSigV4, type SigV4Request } from './types.js';

export interface VerifyOptions {
  now: Date;
  /** Allowed distance between the request date and `now`, both ways. Default 300 (AWS: 5 min). */
  maxSkewSeconds?: number;
  /** Largest accepted X-Amz-Expires. Default 604800 (7 days, the SigV4 maximum). */
  maxPresignSeconds?: number;
  /** Default '*' (any). */
  allowedRegions?: string[] | '*';
  /** Default: any. */
  allowedServices?: string[];
  /** Default: the process-wide `defaultSigningKeyCache`. */
  signingKeyCache?: SigningKeyCache;
}

/**
 * The SignatureDoesNotMatch error for a wrong signature carries what we computed (STS puts the same in
 * its message), with the security token value replaced by "<redacted>". Header values other than the
 * token are included as sent: log it, but think before returning it to the caller.
 */
export class SigV4SignatureMismatchError extends SigV4Error {
  readonly canonicalRequest: string;
  readonly stringToSign: string;

  constructor(canonicalRequest: string, stringToSign: string) {
    super('SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE);
    this.canonicalRequest = canonicalRequest
      .replace(/^x-amz-security-token:.*$/m, 'x-amz-security-token:<redacted>')
      .replace(/(^|&)X-Amz-Security-Token=[^&\n]*/m, '$1X-Amz-Security-Token=<redacted>');
    this.stringToSign = stringToSign;
  }
}

function isHex64(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

export function sha256Hex(body: Buffer | string | undefined): string {
  return body === undefined || body.length === 0 ? EMPTY_SHA256 : hash('sha256', body, 'hex');
}

/** The provided signature's bytes, overwritten by each verification. */
const PROVIDED = Buffer.alloc(32);

function skewText(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min.` : `${seconds} sec.`;
}

/**
 * Verifies a parsed SigV4 request (`parsed` must come from `parseSigV4(req)`); returns normally when it
 * is valid, throws SigV4Error otherwise. Checks, in order (cheap checks before any hashing):
 *
 * 1. SignedHeaders includes `host` (AWS: "'Host' or ':authority' must be a 'SignedHeader'"), and in
 *    header form the header the date came from (`x-amz-date`, or `date`). Other x-amz-* headers need not
 *    be signed: the suite's post-sts-header-after sends an unsigned X-Amz-Security-Token, and the token
 *    cannot be swapped usefully since the signature is bound to that session's secret. → IncompleteSignature
 * 2. Credential scope: region/service allowed; scope date == request date. → SignatureDoesNotMatch
 * 3. Time: header form (and query form without X-Amz-Expires): |now − request date| ≤ maxSkewSeconds
 *    (STS's "Signature expired" / "Signature not yet current" → SignatureDoesNotMatch). Query form with
 *    X-Amz-Expires: ≤ maxPresignSeconds (else AuthorizationQueryParametersError), request date not
 *    later than now + skew (SignatureDoesNotMatch), now ≤ date + expires (else RequestExpired).
 * 4. Every signed header is present in the request. → SignatureDoesNotMatch
 * 5. Payload hash.
 *    - Header form: always the SHA-256 of the body. An x-amz-content-sha256 header must equal it
 *      (another hash → XAmzContentSHA256Mismatch; UNSIGNED-PAYLOAD, STREAMING-* or anything else →
 *      InvalidRequest: the broker always has the whole body, so it never accepts an unsigned one).
 *    - Query form: the declared X-Amz-Content-Sha256 / x-amz-content-sha256 if any (UNSIGNED-PAYLOAD,
 *      or the body's hash); otherwise the body's hash (what STS and the SDKs use to presign non-S3
 *      requests: e3b0… for an empty body) and then UNSIGNED-PAYLOAD (S3-style presigners). A signature
 *      can only be valid for the one payload hash its signer chose, so trying both widens nothing.
 * 6. The signature, with the signing key from the signing-key cache, compared with crypto.timingSafeEqual
 *    (SigningKeyCache.matches).
 *    → SignatureDoesNotMatch (SigV4SignatureMismatchError, carrying our canonical request).
 *
 * Not checked here: that the access key exists and is active (InvalidClientTokenId) and that the
 * security token is valid for it — the caller's job, before fetching `secretAccessKey`.
 */
export function verifySigV4(req: SigV4Request, parsed: ParsedSigV4, secretAccessKey: string, opts: VerifyOptions): void {
  const { credential, signedHeaders } = parsed;

  // 1. signed-headers rules
  if (!signedHeaders.includes('host')) {
    throw new SigV4Error('IncompleteSignature', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const dateSource =
    parsed.dateSource ??
    (parsed.form === 'query' ? 'X-Amz-Date' : req.headers['x-amz-date'] !== undefined ? 'x-amz-date' : 'date');
  if (parsed.form === 'header' && !signedHeaders.includes(dateSource)) {
    throw new SigV4Error(
      'IncompleteSignature',
      `'${dateSource === 'date' ? 'Date' : 'X-Amz-Date'}' must be a 'SignedHeader' in the AWS Authorization.`,
    );
  }

  // 2. credential scope
  const regions = opts.allowedRegions;
  if (regions !== undefined && regions !== '*' && !regions.includes(credential.region)) {
    throw new SigV4Error('SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${credential.region}'.`);
  }
  const services = opts.allowedServices;
  if (services !== undefined && !services.includes(credential.service)) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${services.join("' or '")}'.`,
    );
  }
  const requestDay = parsed.amzDate.slice(0, 8);
  if (credential.date !== requestDay) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${credential.date}' != '${requestDay}', from '${dateSource === 'date' ? 'Date' : 'X-Amz-Date'}'.`,
    );
  }

  // 3. time window
  const now = opts.now.getTime();
  const t = parsed.requestTime.getTime();
  const skewSeconds = opts.maxSkewSeconds ?? 300;
  const skew = skewSeconds * 1000;
  if (!(t - now <= skew)) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      `Signature not yet current: ${parsed.amzDate} is still later than ${formatAmzDate(new Date(now + skew))} (${formatAmzDate(opts.now)} + ${skewText(skewSeconds)})`,
    );
  }
  if (parsed.form === 'query' && parsed.expiresSeconds !== undefined) {
    const maxPresign = opts.maxPresignSeconds ?? 604800;
    if (parsed.expiresSeconds > maxPresign) {
      throw new SigV4Error(
        'AuthorizationQueryParametersError',
        maxPresign === 604800
          ? 'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds'
          : `X-Amz-Expires must be at most ${maxPresign} seconds`,
      );
    }
    if (!(now <= t + parsed.expiresSeconds * 1000)) throw new SigV4Error('RequestExpired', 'Request has expired');
  } else if (!(now - t <= skew)) {
    throw new SigV4Error(
      'SignatureDoesNotMatch',
      `Signature expired: ${parsed.amzDate} is now earlier than ${formatAmzDate(new Date(now - skew))} (${formatAmzDate(opts.now)} - ${skewText(skewSeconds)})`,
    );
  }

  // 4. signed headers present
  for (let i = 0; i < signedHeaders.length; i++) {
    if (getHeader(req.headers, signedHeaders[i]!) === undefined) {
      throw new SigV4Error(
        'SignatureDoesNotMatch',
        `${SIGNATURE_MISMATCH_MESSAGE} Signed header '${signedHeaders[i]}' is not present in the request.`,
      );
    }
  }

  // 5. payload hash
  const declared = parsed.contentSha256;
  let payload: string;
  let fallback: string | undefined;
  if (parsed.form === 'header' || (declared !== undefined && declared !== UNSIGNED_PAYLOAD)) {
    if (declared !== undefined && !isHex64(declared)) {
      throw new SigV4Error(
        'InvalidRequest',
        parsed.form === 'header'
          ? "x-amz-content-sha256 must be the hex SHA-256 of the body; UNSIGNED-PAYLOAD and streaming payloads are not accepted on header-signed requests."
          : 'X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or the hex SHA-256 of the body.',
      );
    }
    payload = sha256Hex(req.body);
    if (declared !== undefined && declared !== payload) {
      throw new SigV4Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  } else if (declared === UNSIGNED_PAYLOAD) {
    payload = UNSIGNED_PAYLOAD;
  } else {
    payload = sha256Hex(req.body);
    fallback = UNSIGNED_PAYLOAD;
  }

  // 6. signature
  // Decoded into a scratch buffer (verification is synchronous): Buffer.from(hex) costs a new view per request.
  if (parsed.signature.length !== 64 || PROVIDED.write(parsed.signature, 0, 'hex') !== 32) {
    throw new SigV4Error('IncompleteSignature', 'Signature must be 64 lower-case hexadecimal characters.');
  }
  const provided = PROVIDED;
  const keys = opts.signingKeyCache ?? defaultSigningKeyCache;
  const prefix = canonicalRequestPrefix(req, parsed);
  const creq = prefix + payload;
  const sts = stringToSign(parsed, hash('sha256', creq, 'hex'));
  const { accessKeyId, date, region, service } = credential;
  if (keys.matches(accessKeyId, secretAccessKey, date, region, service, sts, provided)) return;
  if (fallback !== undefined) {
    const sts2 = stringToSign(parsed, hash('sha256', prefix + fallback, 'hex'));
    if (keys.matches(accessKeyId, secretAccessKey, date, region, service, sts2, provided)) return;
  }
  throw new SigV4SignatureMismatchError(creq, sts);
}
