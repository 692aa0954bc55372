/**
 * AWS Signature Version 4 verification (and a small signer): pure, no NestJS, no I/O.
 *
 * Typical use by the auth guard:
 *
 *   const parsed = parseSigV4(req);                 // null → MissingAuthenticationToken (403)
 *   const key = await keys.find(parsed.credential.accessKeyId); // none → InvalidClientTokenId (403)
 *   verifySigV4(req, parsed, key.secret, { now: new Date(), allowedServices: ['iam', 'sts'] });
 *
 * Errors are SigV4Error with AWS's code and `httpStatus` (errors.ts has the table and the reasons).
 * Canonicalisation rules: canonical.ts. Verification rules: verify.ts.
 */
export {
  SIGV4_ERROR_HTTP_STATUS,
  SIGNATURE_MISMATCH_MESSAGE,
  SigV4Error,
  type SigV4ErrorCode,
} from './errors.js';
export {
  ALGORITHM,
  EMPTY_SHA256,
  UNSIGNED_PAYLOAD,
  type HeaderMap,
  type ParsedSigV4,
  type SigV4Credential,
  type SigV4Request,
} from './types.js';
export {
  canonicalHeaderValue,
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  stringToSign,
} from './canonical.js';
export { formatAmzDate, parseAmzDate } from './dates.js';
export { parseSigV4 } from './parse.js';
export { HmacSha256, SigningKeyCache, defaultSigningKeyCache, deriveSigningKey } from './signing-key-cache.js';
export { SigV4SignatureMismatchError, sha256Hex, verifySigV4, type VerifyOptions } from './verify.js';
export { signRequest, type SignRequestInput, type SignedRequest } from './sign.js';
export { headersFromRaw } from './headers.js';
