import { Inject, Injectable, Optional } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { clientInfoOf } from '../../common/auth/auth.decorators.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { headersFromRaw, parseSigV4, SigV4Error, verifySigV4, type ParsedSigV4, type SigV4Request, type VerifyOptions } from '../../common/sigv4/index.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';
import { PLATFORM_CHAIN } from '../audit/audit.service.js';
import { FailureAggregator } from '../audit/failure-aggregator.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { principalOf } from '../auth/signin.service.js';
import { AccessKeysRepository, type AccessKeyForAuthentication } from './access-keys.repository.js';
import { KEY_REFRESH_BATCH_MS, KeyCache, type CachedKey } from './key-cache.js';
import { UsageRecorder } from './usage-recorder.js';

/**
 * Temporary credentials (ASIA… + X-Amz-Security-Token) are resolved by the STS
 * module through this hook; without it they are refused.
 */
export interface TemporaryCredentialResolver {
  resolve(accessKeyId: string, sessionToken: string, client: ClientInfo): Promise<{ secret: string; context: AuthContext }>;
}
export const TEMPORARY_CREDENTIALS = Symbol('TemporaryCredentialResolver');

const INVALID_KEY = 'The security token included in the request is invalid.';

/** Builds the verifier's view of a Fastify request: raw path and query, raw headers, raw body. */
export function sigv4RequestOf(req: FastifyRequest): SigV4Request {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const headers = headersFromRaw(req.raw.rawHeaders);
  const body = (req as FastifyRequest & { rawBody?: Buffer }).rawBody;
  return { method: req.method, path: q === -1 ? url : url.slice(0, q), query: q === -1 ? '' : url.slice(q + 1), headers, body };
}

/** Authenticates requests signed with AWS Signature Version 4 using broker-issued keys. */
@Injectable()
export class SigV4Authenticator {
  constructor(
    private readonly repo: AccessKeysRepository,
    private readonly cache: KeyCache,
    private readonly usage: UsageRecorder,
    private readonly failures: FailureAggregator,
    private readonly metrics: MetricsService,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(TEMPORARY_CREDENTIALS) private readonly temporary?: TemporaryCredentialResolver,
  ) {
    this.regions = config.sigv4Regions ?? '*';
    this.cache.refreshInBatches((ids) => this.loadKeys(ids), KEY_REFRESH_BATCH_MS);
  }

  /** The regions a credential scope may name (SIGV4_REGIONS). */
  private readonly regions: string[] | '*';

  /**
   * null when the request carries no SigV4 at all; throws a DomainError when it carries a bad one.
   * `services`: the signing services this transport accepts (a signature scoped to another is refused and audited).
   */
  async authenticate(req: FastifyRequest, opts: { services?: string[] } = {}): Promise<AuthContext | null> {
    const r = sigv4RequestOf(req);
    let parsed: ParsedSigV4 | null = null;
    try {
      parsed = parseSigV4(r);
      if (!parsed) return null;
      const checks: VerifyOptions = { now: new Date(), allowedRegions: this.regions, allowedServices: opts.services };
      const { accessKeyId, service, region } = parsed.credential;
      if (parsed.securityToken !== undefined || accessKeyId.startsWith('ASIA')) return await this.temporaryContext(r, parsed, req, checks);
      const key = this.cache.peek(accessKeyId, this.load) ?? (await this.cache.get(accessKeyId, this.load));
      if (!key || key.status !== 'Active') throw new DomainError(ErrorCode.InvalidClientTokenId, INVALID_KEY);
      verifySigV4(r, parsed, key.secret, checks);
      // Last-used tracking is for long-term keys (IAM's GetAccessKeyLastUsed).
      this.usage.record(accessKeyId, service, req, region);
      return key.context;
    } catch (e: unknown) {
      const err = e instanceof SigV4Error ? new DomainError(this.code(e.code), e.message) : e;
      if (err instanceof DomainError) await this.refused(err, parsed, req);
      throw err;
    }
  }

  private code(c: string): ErrorCode {
    return (Object.values(ErrorCode) as string[]).includes(c) ? (c as ErrorCode) : ErrorCode.SignatureDoesNotMatch;
  }

  private readonly load = (id: string) => this.loadKey(id);

  private async loadKey(id: string): Promise<CachedKey | null> {
    const row = await this.repo.findForAuthentication(id);
    return row ? this.cachedKey(row) : null;
  }

  /** The key cache's batched background refresh: every due key in one query. */
  private async loadKeys(ids: string[]): Promise<Map<string, CachedKey | null>> {
    const rows = await this.repo.findManyForAuthentication(ids);
    return new Map(ids.map((id) => [id, rows.has(id) ? this.cachedKey(rows.get(id)!) : null]));
  }

  private cachedKey(row: AccessKeyForAuthentication): CachedKey | null {
    if (!row.secretCiphertext) return null;
    // Locked root keys stop authenticating (the account setting), like a deactivated key.
    const locked = row.user.kind === 'ROOT' && row.user.account.lockRootAccessKeys;
    const principal = Object.freeze(principalOf(row.user));
    const tags = Object.freeze({ ...((row.user.tags ?? {}) as Record<string, string>) });
    const context: AuthContext = { method: 'sigv4', accountId: row.accountId, principal, mfa: Object.freeze({ present: false }), accessKeyId: row.id, tags };
    // A refresh finds the same box nearly always: its secret is reused (with many keys in use, a decryption per key per refresh adds up).
    const previous = this.cache.previous(row.id);
    const secret = previous?.secretBox === row.secretCiphertext ? previous.secret : this.box.decryptString(row.secretCiphertext, row.id);
    return {
      accountId: row.accountId,
      userId: row.userId,
      status: locked ? 'Inactive' : row.status,
      secret,
      secretBox: row.secretCiphertext,
      principal,
      tags,
      context: Object.freeze(context),
    };
  }

  private async temporaryContext(r: SigV4Request, parsed: ParsedSigV4, req: FastifyRequest, checks: VerifyOptions): Promise<AuthContext> {
    if (!this.temporary || !parsed.securityToken) throw new DomainError(ErrorCode.InvalidClientTokenId, INVALID_KEY);
    const { secret, context } = await this.temporary.resolve(parsed.credential.accessKeyId, parsed.securityToken, clientInfoOf(req));
    verifySigV4(r, parsed, secret, checks);
    return context;
  }

  /**
   * Audits a refused signature without any secret; identical failures (same
   * key, code and address) within AUDIT_FAILURE_WINDOW_MS are counted on one
   * summary record (FailureAggregator). Unknown keys go to the platform chain.
   */
  private async refused(err: DomainError, parsed: ParsedSigV4 | null, req: FastifyRequest): Promise<void> {
    this.metrics.refusals.inc({ code: err.code });
    const keyId = parsed?.credential.accessKeyId ?? null;
    // Through the key cache: a flood of refusals for one key is counted in memory, not looked up once per request.
    const key = keyId && /^AKIA[A-Z2-7]{16}$/.test(keyId) ? await this.cache.get(keyId, this.load).catch(() => null) : null;
    await this.failures.failed({
      chain: key?.accountId ?? PLATFORM_CHAIN,
      action: 'sts:AuthenticateRequest',
      outcome: 'denied',
      errorCode: err.code,
      actor: key ? { arn: key.principal.arn, type: key.principal.kind, accessKeyId: keyId! } : null,
      client: clientInfoOf(req),
      details: { accessKeyId: keyId, method: req.method, route: req.routeOptions?.url ?? null, reason: err.message.slice(0, 200) },
    }, keyId?.slice(0, 128) ?? null);
  }
}
