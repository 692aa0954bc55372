import { Injectable } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { canonicalIssuer } from '../../common/net/outbound-url.js';
import { JwksSource, type ProviderKeys } from './jwks-source.js';
import { OidcProvidersRepository, type OidcProviderRow } from './oidc-providers.repository.js';

/** A web identity token that passed every check, and what it says. */
export interface VerifiedWebIdentity {
  provider: { id: string; arn: string; url: string };
  /** Every claim of the verified token. */
  claims: Record<string, unknown>;
  /** The `sub` claim. */
  subject: string;
  /** The `aud` value that matched one of the provider's audiences (client IDs). */
  audience: string;
  /** The issuer: the provider's URL, which the token's `iss` matched (up to a trailing slash). */
  issuer: string;
}

/** Asymmetric signature algorithms only: never "none", never HMAC (whose key would be public). */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Clock skew allowed for `nbf` and `iat` (seconds). `exp` is strict. */
export const CLOCK_SKEW_SECONDS = 300;
/** Longest token accepted (AWS's limit for WebIdentityToken). */
export const MAX_TOKEN_LENGTH = 20_000;
const MAX_SUBJECT_LENGTH = 1024;

const invalid = (message: string) => new DomainError(ErrorCode.InvalidIdentityToken, message);

const MALFORMED = 'The web identity token is not a valid JWT.';
const BAD_SIGNATURE = 'The web identity token signature could not be verified.';
const UNKNOWN_KEY = 'The web identity token is signed with a key the identity provider does not publish.';
const BAD_ALGORITHM = 'The web identity token is signed with an algorithm that is not allowed (only asymmetric algorithms such as RS256 and ES256).';

/** The issuer for an error message: shown only when it looks like an issuer URL (it is attacker-chosen text). */
function describeIssuer(iss: string): string {
  return /^https?:\/\/[\x21-\x7e]{1,250}$/.test(iss) ? iss : 'the issuer of this token';
}

/**
 * Verifies OIDC ID tokens (GitHub Actions, GitLab id_token…) against the account's OIDC providers, for
 * AssumeRoleWithWebIdentity. The token, or any part of it, never appears in an error message or a log.
 */
@Injectable()
export class WebIdentityVerifier {
  constructor(
    private readonly providers: OidcProvidersRepository,
    private readonly keys: JwksSource,
  ) {}

  async verify(accountId: string, token: string): Promise<VerifiedWebIdentity> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3) throw invalid(MALFORMED);
    let alg: unknown;
    let unverified: JWTPayload;
    try {
      alg = decodeProtectedHeader(token).alg;
      unverified = decodeJwt(token);
    } catch {
      throw invalid(MALFORMED);
    }
    if (typeof alg !== 'string' || !ALLOWED_ALGORITHMS.includes(alg)) throw invalid(BAD_ALGORITHM);
    if (typeof unverified.iss !== 'string' || unverified.iss.length === 0) throw invalid('The web identity token has no issuer (iss).');

    const issuer = canonicalIssuer(unverified.iss);
    const provider = issuer ? await this.providers.findByUrl(accountId, issuer) : null;
    if (!provider) throw invalid(`No OpenIDConnect provider found in your account for ${describeIssuer(unverified.iss)}`);

    const payload = await this.checkSignature(provider, token);
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.exp === 'number' && payload.exp <= now) throw new DomainError(ErrorCode.ExpiredToken, 'Token expired: the web identity token is past its expiry time (exp).');
    if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW_SECONDS) throw invalid('The web identity token was issued in the future (iat).');

    const audiences = Array.isArray(provider.audiences) ? (provider.audiences as unknown[]).filter((a): a is string => typeof a === 'string') : [];
    const tokenAud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a) => typeof a === 'string') : [];
    const audience = tokenAud.find((a) => audiences.includes(a));
    if (audience === undefined) throw invalid('Incorrect token audience');

    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw invalid('The web identity token has no subject (sub).');
    if (payload.sub.length > MAX_SUBJECT_LENGTH) throw invalid(`The web identity token's subject (sub) is longer than ${MAX_SUBJECT_LENGTH} characters.`);

    return {
      provider: { id: provider.id, arn: provider.arn, url: provider.url },
      claims: { ...payload } as Record<string, unknown>,
      subject: payload.sub,
      audience,
      issuer: provider.url,
    };
  }

  /** Signature and time claims (jose), refetching the provider's keys once when the token names an unknown key. */
  private async checkSignature(provider: OidcProviderRow, token: string): Promise<JWTPayload> {
    const attempt = (keys: ProviderKeys) =>
      jwtVerify(token, keys.getKey, { algorithms: ALLOWED_ALGORITHMS, clockTolerance: CLOCK_SKEW_SECONDS, requiredClaims: ['exp'] }).then((r) => r.payload);
    const keys = await this.keys.keysFor(provider);
    try {
      return await attempt(keys);
    } catch (e) {
      if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw mapJoseError(e);
    }
    const fresh = await this.keys.refreshForUnknownKey(provider);
    if (!fresh) throw invalid(UNKNOWN_KEY);
    try {
      return await attempt(fresh);
    } catch (e) {
      throw mapJoseError(e);
    }
  }
}

/** jose's failures as domain errors; the messages are ours (jose's may quote claim values). */
function mapJoseError(e: unknown): unknown {
  if (e instanceof DomainError) return e;
  if (e instanceof joseErrors.JWTExpired) return new DomainError(ErrorCode.ExpiredToken, 'Token expired: the web identity token is past its expiry time (exp).');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return invalid(e.reason === 'check_failed' ? 'The web identity token is not valid yet (nbf).' : 'The web identity token has an invalid nbf claim.');
    if (e.claim === 'exp') return invalid('The web identity token has no valid expiry time (exp).');
    if (e.claim === 'iat') return invalid('The web identity token has an invalid iat claim.');
    return invalid('The web identity token has an invalid claim.');
  }
  if (e instanceof joseErrors.JWKSNoMatchingKey) return invalid(UNKNOWN_KEY);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return invalid(BAD_SIGNATURE);
  if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported) return invalid(BAD_ALGORITHM);
  if (e instanceof joseErrors.JWKInvalid || e instanceof joseErrors.JWKSInvalid) {
    const err = new DomainError(ErrorCode.IDPCommunicationError, "Couldn't retrieve verification key from your identity provider.");
    err.diagnostic = 'the identity provider published a key that cannot be used';
    return err;
  }
  if (e instanceof joseErrors.JOSEError) return invalid(MALFORMED);
  // WebCrypto rejects some malformed signatures or keys with its own errors: still the token's fault.
  if (e instanceof TypeError || (e instanceof Error && (e.name === 'DataError' || e.name === 'OperationError'))) return invalid(BAD_SIGNATURE);
  return e;
}
