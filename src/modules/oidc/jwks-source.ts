import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { createLocalJWKSet, importJWK, type JWK } from 'jose';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { canonicalIssuer, checkOutboundUrl, isLoopbackHost, refusedAddress } from '../../common/net/outbound-url.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';
import type { OidcProviderRow } from './oidc-providers.repository.js';

/** At most this many keys in a JWKS document, stored or fetched. */
export const MAX_JWKS_KEYS = 100;
/** Largest discovery or JWKS response read. */
export const MAX_RESPONSE_BYTES = 256 * 1024;
/** Largest JWKS document stored with a provider (its JSON text). */
export const MAX_STORED_JWKS_BYTES = 64 * 1024;
/** An unknown `kid` refetches a provider's keys at most this often. */
export const UNKNOWN_KID_REFRESH_MS = 30_000;
/** Providers whose keys are kept in memory at once (oldest dropped first). */
const MAX_CACHED_PROVIDERS = 10_000;

/** JWK members that only private or secret keys have. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;
const PUBLIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

/** Verification keys for one provider, in the form jose's jwtVerify takes. */
export type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export interface ProviderKeys {
  getKey: KeyResolver;
  /** Where the keys came from: stored with the provider (never refetched) or fetched. */
  source: 'stored' | 'fetched';
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The default algorithm to check a stored key with when the JWK does not name one. */
function probeAlg(jwk: Record<string, unknown>): string | null {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[String(jwk.crv)] ?? null;
  if (jwk.kty === 'OKP') return jwk.crv === 'Ed25519' ? 'EdDSA' : null;
  return null;
}

/**
 * Why a JWKS document cannot be stored with a provider, or null when it can: an object with 1-100 keys,
 * each a public RSA, EC or OKP signing key (no private or secret member such as "d", "p", "q" or "k")
 * that jose can import. The message names the key by index, never its content.
 */
export async function storedJwksProblem(doc: unknown): Promise<string | null> {
  if (!isPlainObject(doc) || !Array.isArray(doc.keys)) return 'jwks must be an object with a "keys" array.';
  if (Object.keys(doc).some((k) => k !== 'keys')) return 'jwks must contain only "keys".';
  const keys = doc.keys as unknown[];
  if (keys.length === 0) return 'jwks must contain at least one key.';
  if (keys.length > MAX_JWKS_KEYS) return `jwks must contain at most ${MAX_JWKS_KEYS} keys.`;
  if (Buffer.byteLength(JSON.stringify(doc)) > MAX_STORED_JWKS_BYTES) return `jwks must be at most ${MAX_STORED_JWKS_BYTES} bytes of JSON.`;
  for (const [i, jwk] of keys.entries()) {
    const where = `jwks.keys[${i}]`;
    if (!isPlainObject(jwk)) return `${where} must be an object.`;
    if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) return `${where} is a private or secret key: store public keys only.`;
    if (typeof jwk.kty !== 'string' || !PUBLIC_KEY_TYPES.has(jwk.kty)) return `${where} must have kty RSA, EC or OKP.`;
    if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 255)) return `${where}.kid must be a string of 1-255 characters.`;
    if (jwk.use !== undefined && jwk.use !== 'sig') return `${where}.use must be "sig".`;
    if (jwk.kty === 'RSA' && (typeof jwk.n !== 'string' || Buffer.from(jwk.n, 'base64url').length < 256)) return `${where} must be an RSA key of at least 2048 bits.`;
    const alg = probeAlg(jwk);
    if (!alg || /^(HS|none)/i.test(alg)) return `${where} has no usable signature algorithm.`;
    try {
      const key = await importJWK(jwk as JWK, alg);
      if (!(key instanceof Uint8Array) && key.type !== 'public') return `${where} must be a public key.`;
    } catch {
      return `${where} is not a valid ${alg} public key.`;
    }
  }
  try {
    createLocalJWKSet(doc as unknown as { keys: JWK[] });
  } catch {
    return 'jwks is not a valid JWKS document.';
  }
  return null;
}

/** The usable public keys of a fetched JWKS document (private, secret and unknown kinds dropped); null when it is not one. */
function usableJwks(doc: unknown): { keys: JWK[] } | null {
  if (!isPlainObject(doc) || !Array.isArray(doc.keys) || doc.keys.length > MAX_JWKS_KEYS) return null;
  const keys = (doc.keys as unknown[]).filter(
    (k): k is JWK => isPlainObject(k) && typeof k.kty === 'string' && PUBLIC_KEY_TYPES.has(k.kty) && !PRIVATE_JWK_MEMBERS.some((m) => m in k),
  );
  return { keys };
}

/** A connection lookup that always answers the address that was checked (no second DNS answer to trust). */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

interface CacheEntry {
  key: string;
  updatedAt: number;
  fetchedAt: number;
  keys: ProviderKeys;
}

/**
 * Where a provider's signing keys come from: its stored JWKS, else its `jwksUri`, else the `jwks_uri` of
 * its discovery document (`<url>/.well-known/openid-configuration`, whose `issuer` must be the provider URL).
 *
 * Fetching: https only (http/https to loopback only with OIDC_ALLOW_LOOPBACK); a host name is resolved
 * and every address it resolves to must be public, and the connection then goes to that checked address
 * (the request's DNS lookup is pinned), so a second DNS answer cannot redirect it inside (no TOCTOU).
 * TLS still verifies the certificate for the host name. This is why node:http(s) is used rather than
 * the global fetch (which cannot pin the address without an undici dispatcher). No redirect is followed,
 * the response must be JSON, at most 256 KiB, within OIDC_FETCH_TIMEOUT_MS per request.
 *
 * Caching: per provider (id + url + updatedAt, so an update is picked up at once) for
 * OIDC_JWKS_CACHE_SECONDS; an unknown `kid` refetches at most once per 30 s per provider; concurrent
 * loads of one provider share one request. A failed fetch is not cached (and keys past their time are
 * not used as a fallback).
 */
@Injectable()
export class JwksSource {
  private readonly logger = new Logger('Oidc');
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  private readonly forcedAt = new Map<string, number>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The provider's keys, from the cache when still fresh. */
  async keysFor(p: OidcProviderRow): Promise<ProviderKeys> {
    const key = this.cacheKey(p);
    const e = this.entries.get(p.id);
    if (e && e.key === key && (e.keys.source === 'stored' || this.now() - e.fetchedAt < this.config.sts.oidcJwksCacheSeconds * 1000)) return e.keys;
    return (await this.load(p, key)).keys;
  }

  /**
   * Fetches the keys again because a token names a key the cached set lacks (the provider rotated its
   * keys). Null when that cannot help: stored keys, or the last such refetch was less than 30 s ago.
   */
  async refreshForUnknownKey(p: OidcProviderRow): Promise<ProviderKeys | null> {
    if (p.jwks !== null && p.jwks !== undefined) return null;
    const now = this.now();
    const last = this.forcedAt.get(p.id);
    if (last !== undefined && now - last < UNKNOWN_KID_REFRESH_MS) return null;
    this.remember(this.forcedAt, p.id, now);
    return (await this.load(p, this.cacheKey(p))).keys;
  }

  /** Drops what is cached for a provider (after it changed or was deleted). */
  forget(providerId: string): void {
    this.entries.delete(providerId);
    this.forcedAt.delete(providerId);
  }

  /** The clock (tests may replace it). */
  protected now(): number {
    return Date.now();
  }

  /** Every address a host name resolves to (tests may replace it). */
  protected async resolveHost(host: string): Promise<{ address: string; family: number }[]> {
    return dnsLookup(host, { all: true, verbatim: true });
  }

  private cacheKey(p: OidcProviderRow): string {
    return `${p.id}|${p.url}|${p.updatedAt.getTime()}`;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    if (map.size >= MAX_CACHED_PROVIDERS) map.delete(map.keys().next().value!);
    map.set(key, value);
  }

  /** One load per cache key at a time: concurrent callers share it. */
  private load(p: OidcProviderRow, key: string): Promise<CacheEntry> {
    const running = this.inflight.get(key);
    if (running) return running;
    const promise = this.loadEntry(p, key).finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  private async loadEntry(p: OidcProviderRow, key: string): Promise<CacheEntry> {
    let keys: ProviderKeys;
    if (p.jwks !== null && p.jwks !== undefined) {
      keys = { getKey: this.localSet(p, p.jwks, 'stored JWKS'), source: 'stored' };
    } else {
      try {
        keys = { getKey: await this.fetchKeys(p), source: 'fetched' };
      } catch (e) {
        if (e instanceof DomainError && e.diagnostic) this.logger.warn(`OIDC provider ${p.id} (${p.url}): ${e.diagnostic}`);
        throw e;
      }
    }
    const entry: CacheEntry = { key, updatedAt: p.updatedAt.getTime(), fetchedAt: this.now(), keys };
    const current = this.entries.get(p.id);
    // A slower load of an older version of the provider must not replace a newer one.
    if (!current || current.updatedAt <= entry.updatedAt) this.remember(this.entries, p.id, entry);
    return entry;
  }

  private localSet(p: OidcProviderRow, doc: unknown, what: string): KeyResolver {
    const usable = usableJwks(doc);
    if (!usable) throw idpError(`the ${what} is not a JWKS document with at most ${MAX_JWKS_KEYS} keys`);
    try {
      return createLocalJWKSet(usable);
    } catch {
      throw idpError(`the ${what} of provider ${p.id} is not a valid JWKS document`);
    }
  }

  private async fetchKeys(p: OidcProviderRow): Promise<KeyResolver> {
    let jwksUri = p.jwksUri;
    if (!jwksUri) {
      const discoveryUrl = `${p.url}/.well-known/openid-configuration`;
      const doc = await this.getJson(discoveryUrl, 'discovery document');
      if (!isPlainObject(doc)) throw idpError(`the discovery document at ${discoveryUrl} is not a JSON object`);
      if (typeof doc.issuer !== 'string' || canonicalIssuer(doc.issuer) !== p.url) {
        throw idpError(`the discovery document at ${discoveryUrl} names another issuer than the provider URL`);
      }
      if (typeof doc.jwks_uri !== 'string' || doc.jwks_uri.length === 0 || doc.jwks_uri.length > 2048) {
        throw idpError(`the discovery document at ${discoveryUrl} has no usable jwks_uri`);
      }
      jwksUri = doc.jwks_uri;
    }
    return this.localSet(p, await this.getJson(jwksUri, 'JWKS'), `JWKS at ${jwksUri}`);
  }

  /** GETs a JSON document from an allowed URL, connecting only to a checked address. */
  private async getJson(raw: string, what: string): Promise<unknown> {
    const checked = checkOutboundUrl(raw, { allowLoopback: this.config.sts.oidcAllowLoopback });
    if (!checked.ok) throw idpError(`the ${what} URL ${raw.slice(0, 300).replace(/\/\/[^/@]*@/, '//***@')} is refused: ${checked.reason}`);
    const { url, host } = checked;
    const timeoutMs = this.config.sts.oidcFetchTimeoutMs;
    const deadline = this.now() + timeoutMs;

    let address: string;
    let family: 4 | 6;
    if (checked.ipVersion !== 0) {
      address = host;
      family = checked.ipVersion;
    } else {
      let resolved: { address: string; family: number }[];
      try {
        resolved = await withTimeout(this.resolveHost(host), timeoutMs);
      } catch (e) {
        throw idpError(`the ${what} host ${host} could not be resolved: ${(e as Error).message}`);
      }
      const addresses = resolved.map((r) => r.address);
      const refusal = checked.loopback
        ? addresses.length && addresses.every((a) => isLoopbackHost(a))
          ? null
          : 'localhost resolves to an address that is not loopback'
        : refusedAddress(addresses);
      if (refusal) throw idpError(`the ${what} URL ${url.origin} is refused: ${refusal}`);
      address = resolved[0]!.address;
      family = resolved[0]!.family === 6 ? 6 : 4;
    }
    return this.request(url, host, address, family, Math.max(1, deadline - this.now()), what);
  }

  private request(url: URL, host: string, address: string, family: 4 | 6, timeoutMs: number, what: string): Promise<unknown> {
    const where = `${what} at ${url.origin}${url.pathname}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(idpError(`the ${where} could not be fetched: ${reason}`));
      };
      const client = url.protocol === 'https:' ? https : http;
      const req = client.request(
        {
          protocol: url.protocol,
          hostname: host,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers: { accept: 'application/json, application/jwk-set+json', 'user-agent': 'credbroker-oidc', 'accept-encoding': 'identity' },
          agent: false,
          lookup: pinnedLookup(address, family),
          ...(url.protocol === 'https:' && isSniName(host) ? { servername: host } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) return fail(`redirects are refused (HTTP ${status})`);
          if (status !== 200) return fail(`HTTP ${status}`);
          const type = String(res.headers['content-type'] ?? '');
          if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type)) return fail('the response is not JSON');
          const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase();
          if (encoding !== 'identity') return fail('compressed responses are refused');
          const declared = Number(res.headers['content-length'] ?? 0);
          if (declared > MAX_RESPONSE_BYTES) return fail(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`);
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) return fail(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`);
            chunks.push(chunk);
          });
          res.on('error', (e) => fail(e.message));
          res.on('close', () => {
            if (!res.complete) fail('the response was cut short');
          });
          res.on('end', () => {
            if (settled) return;
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              return fail('the response is not valid JSON');
            }
            settled = true;
            clearTimeout(timer);
            resolve(body);
          });
        },
      );
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      req.on('error', (e) => fail(e.message));
      req.end();
    });
  }
}

/** A host name (not an address literal) can be sent as TLS SNI. */
const isSniName = (host: string) => !host.includes(':') && !/^\d+\.\d+\.\d+\.\d+$/.test(host);

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The client sees AWS's generic message; the reason (URLs, statuses; never a token) is logged server-side. */
function idpError(reason: string): DomainError {
  const e = new DomainError(ErrorCode.IDPCommunicationError, "Couldn't retrieve verification key from your identity provider.");
  e.diagnostic = reason;
  return e;
}
