import { Inject, Injectable } from '@nestjs/common';
import { oidcProviderArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { checkOutboundUrl, MAX_JWKS_URL_LENGTH, parseIssuerUrl, type OutboundRules } from '../../common/net/outbound-url.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';
import { PrismaService } from '../../db/prisma.service.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { JwksSource, storedJwksProblem } from './jwks-source.js';
import { oidcProviderView } from './oidc-provider.views.js';
import { OidcProvidersRepository, type OidcProviderPatch, type StoredJwks } from './oidc-providers.repository.js';

/** IAM's default quota of OIDC providers per account. */
export const MAX_OIDC_PROVIDERS = 100;

export interface CreateOidcProviderInput {
  url: string;
  clientIdList: string[];
  jwksUri?: string | null;
  jwks?: unknown;
  /** Accepted for AWS compatibility and ignored (the broker checks the TLS chain, not SHA-1 thumbprints). */
  thumbprintList?: string[];
}

export interface UpdateOidcProviderInput {
  clientIdList?: string[];
  /** A URL sets it (and drops stored keys); null clears it (keys from discovery). */
  jwksUri?: string | null;
  /** A document stores it (and clears jwksUri); null drops the stored keys. */
  jwks?: unknown;
}

/**
 * OIDC identity providers: the issuers whose tokens AssumeRoleWithWebIdentity accepts, the audiences
 * (client IDs) it accepts from them, and where their signing keys come from.
 */
@Injectable()
export class OidcProvidersService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: OidcProvidersRepository,
    private readonly audit: AuditService,
    private readonly jwks: JwksSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get rules(): OutboundRules {
    return { allowLoopback: this.config.sts.oidcAllowLoopback };
  }

  async create(auth: AuthContext, accountId: string, input: CreateOidcProviderInput, client: ClientInfo) {
    const issuer = parseIssuerUrl(input.url, this.rules);
    if (!issuer.ok) throw DomainError.validation(issuer.reason);
    const audiences = this.audiences(input.clientIdList);
    const hasJwks = input.jwks !== undefined && input.jwks !== null;
    if (hasJwks && input.jwksUri) throw DomainError.validation('Give either jwksUri or jwks, not both.');
    const jwksUri = input.jwksUri ? this.jwksUri(input.jwksUri) : null;
    const jwks = hasJwks ? await this.storedJwks(input.jwks) : null;
    let arn: string;
    try {
      arn = oidcProviderArn(accountId, issuer.hostAndPath);
    } catch {
      throw DomainError.validation('The provider URL cannot name a provider ARN.');
    }
    const p = await this.prisma.transaction(async (tx) => {
      if ((await this.repo.count(accountId, tx)) >= MAX_OIDC_PROVIDERS) {
        throw new DomainError(ErrorCode.LimitExceeded, `Cannot exceed quota for OpenIdConnectProvidersPerAccount: ${MAX_OIDC_PROVIDERS}.`);
      }
      const p = await this.repo.create(tx, accountId, { url: issuer.url, arn, audiences, jwksUri, jwks });
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:CreateOpenIDConnectProvider',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: p.arn,
        client,
        details: { url: p.url, clientIdList: audiences, jwksUri, storedJwks: jwks !== null },
      });
      return p;
    });
    return oidcProviderView(p);
  }

  async list(accountId: string) {
    return { providers: (await this.repo.list(accountId)).map(oidcProviderView) };
  }

  async get(accountId: string, providerId: string) {
    return oidcProviderView(await this.find(accountId, providerId));
  }

  async update(auth: AuthContext, accountId: string, providerId: string, input: UpdateOidcProviderInput, client: ClientInfo) {
    if (input.clientIdList === undefined && input.jwksUri === undefined && input.jwks === undefined) {
      throw DomainError.validation('Nothing to update: give clientIdList, jwksUri or jwks.');
    }
    if (typeof input.jwksUri === 'string' && input.jwks !== undefined && input.jwks !== null) throw DomainError.validation('Give either jwksUri or jwks, not both.');
    const patch: OidcProviderPatch = {};
    if (input.clientIdList === null) throw DomainError.validation('clientIdList cannot be null: a provider needs at least one audience.');
    if (input.clientIdList !== undefined) patch.audiences = this.audiences(input.clientIdList);
    if (input.jwksUri !== undefined) {
      patch.jwksUri = input.jwksUri === null ? null : this.jwksUri(input.jwksUri);
      if (patch.jwksUri !== null) patch.jwks = null;
    }
    if (input.jwks !== undefined) {
      patch.jwks = input.jwks === null ? null : await this.storedJwks(input.jwks);
      if (patch.jwks !== null) patch.jwksUri = null;
    }
    const current = await this.find(accountId, providerId);
    const p = await this.prisma.transaction(async (tx) => {
      const p = await this.repo.update(tx, accountId, current.id, patch);
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:UpdateOpenIDConnectProvider',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: p.arn,
        client,
        details: {
          changed: Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined),
          ...(patch.audiences ? { clientIdList: patch.audiences } : {}),
          ...(patch.jwksUri !== undefined ? { jwksUri: patch.jwksUri } : {}),
          storedJwks: p.jwks !== null,
        },
      });
      return p;
    });
    this.jwks.forget(p.id);
    return oidcProviderView(p);
  }

  async delete(auth: AuthContext, accountId: string, providerId: string, client: ClientInfo) {
    const p = await this.find(accountId, providerId);
    await this.prisma.transaction(async (tx) => {
      await this.repo.delete(tx, accountId, p.id);
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:DeleteOpenIDConnectProvider',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: p.arn,
        client,
        details: { url: p.url },
      });
    });
    this.jwks.forget(p.id);
  }

  private async find(accountId: string, providerId: string) {
    const p = await this.repo.findById(accountId, providerId);
    if (!p) throw DomainError.noSuchEntity('The OpenIDConnect provider');
    return p;
  }

  /** Client IDs, duplicates dropped (the DTO checked 1-100 strings of 1-255 characters). */
  private audiences(list: string[]): string[] {
    if (list.some((a) => /[\x00-\x1f\x7f]/.test(a))) throw DomainError.validation('clientIdList entries must not contain control characters.');
    return [...new Set(list)];
  }

  private jwksUri(raw: string): string {
    if (raw.length > MAX_JWKS_URL_LENGTH) throw DomainError.validation(`jwksUri must be at most ${MAX_JWKS_URL_LENGTH} characters.`);
    const checked = checkOutboundUrl(raw, this.rules);
    if (!checked.ok) throw DomainError.validation(`jwksUri is not allowed: ${checked.reason}.`);
    if (checked.url.hash) throw DomainError.validation('jwksUri must not contain a fragment.');
    return checked.url.href;
  }

  private async storedJwks(doc: unknown): Promise<StoredJwks> {
    const problem = await storedJwksProblem(doc);
    if (problem) throw DomainError.validation(problem);
    return doc as StoredJwks;
  }
}
