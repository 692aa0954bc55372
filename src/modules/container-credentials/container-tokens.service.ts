import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { newOpaqueToken, sha256Hex } from '../../common/ids.js';
import { parseAssumeRoleInput } from '../../common/sts/sts-params.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';
import { PrismaService } from '../../db/prisma.service.js';
import { actorOf, AuditService, PLATFORM_CHAIN } from '../audit/audit.service.js';
import { FailureAggregator } from '../audit/failure-aggregator.js';
import { principalOf } from '../auth/signin.service.js';
import { RolesRepository } from '../roles/roles.repository.js';
import { StsSessionsRepository } from '../sts/sts-sessions.repository.js';
import { SessionCredentialsResolver } from '../sts/session-credentials.resolver.js';
import { StsService } from '../sts/sts.service.js';
import { UsersRepository, type UserRow } from '../users/users.repository.js';
import { ContainerTokensRepository, type ContainerTokenRow } from './container-tokens.repository.js';
import { DEFAULT_DURATION_SECONDS, MIN_DURATION_SECONDS, type CreateContainerTokenDto } from './dto/container-tokens.dto.js';

/** Prefix of container-credentials tokens (shown once; only their SHA-256 is stored). */
export const CONTAINER_TOKEN_PREFIX = 'cbct_';
/** Path of the endpoint the AWS SDKs call (AWS_CONTAINER_CREDENTIALS_FULL_URI). */
export const CONTAINER_CREDENTIALS_PATH = '/v1/container-credentials';
/** Credentials are handed out again while they have more than this left (SDKs refresh 5–15 minutes before expiry). */
export const REUSE_MIN_REMAINING_MS = 15 * 60_000;
/** lastUsedAt is written at most this often per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** Longest token accepted on the endpoint (ours are ~48 characters); anything longer is not hashed. */
const MAX_PRESENTED_TOKEN = 512;
const MAX_REUSE_ENTRIES = 10_000;

/** The endpoint's answer, as the AWS SDKs' container and HTTP providers read it. */
export interface ContainerCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  /** RFC 3339, seconds precision. */
  Expiration: string;
  RoleArn: string;
}

interface Reusable {
  credentials: ContainerCredentials;
  expiresAt: number;
}

const INVALID_TOKEN = () => new DomainError(ErrorCode.InvalidClientTokenId, 'The container credentials token is invalid or has been revoked.');

/** RFC 3339 without fractional seconds, as AWS writes Expiration. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Credentials with more than this left are handed out again: 15 minutes, or half the session for short sessions. */
export function reuseThresholdMs(durationSeconds: number): number {
  return Math.min(REUSE_MIN_REMAINING_MS, (durationSeconds * 1000) / 2);
}

/** The token as sent: the SDKs send AWS_CONTAINER_AUTHORIZATION_TOKEN as-is; a "Bearer " prefix is tolerated. */
export function presentedToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const t = header.trim().replace(/^Bearer\s+/i, '');
  return t === '' ? null : t;
}

function tokenStatus(t: ContainerTokenRow, now: number): 'Active' | 'Revoked' | 'Expired' {
  if (t.revokedAt) return 'Revoked';
  if (t.expiresAt && t.expiresAt.getTime() <= now) return 'Expired';
  return 'Active';
}

function tokenView(t: ContainerTokenRow, now = Date.now()) {
  return {
    id: t.id,
    name: t.name,
    roleArn: t.roleArn,
    policy: t.sessionPolicy === null ? null : (JSON.parse(t.sessionPolicy) as unknown),
    policyArns: (t.policyArns ?? []) as string[],
    durationSeconds: t.durationSeconds,
    createdByUserId: t.userId,
    status: tokenStatus(t, now),
    createDate: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * Container credentials: long-lived, revocable tokens, each bound to one role
 * (and optional session policies), that a process exchanges at
 * GET /v1/container-credentials for that role's temporary credentials, the way
 * the AWS SDKs read ECS/EKS container credentials. Sessions are issued as the
 * token's creator, so the creator's current policies and the role's trust
 * policy decide every time credentials are minted.
 */
@Injectable()
export class ContainerTokensService {
  private readonly logger = new Logger('ContainerCredentials');
  /** The last credentials per token id, handed out again while they have long enough to live. */
  private readonly reuse = new Map<string, Reusable>();
  /** One mint per token at a time: concurrent polls share it. */
  private readonly minting = new Map<string, Promise<ContainerCredentials>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly repo: ContainerTokensRepository,
    private readonly users: UsersRepository,
    private readonly roles: RolesRepository,
    private readonly sts: StsService,
    private readonly sessions: SessionCredentialsResolver,
    private readonly stsSessions: StsSessionsRepository,
    private readonly audit: AuditService,
    private readonly failures: FailureAggregator,
  ) {}

  get fullUri(): string {
    return this.config.publicUrl.replace(/\/+$/, '') + CONTAINER_CREDENTIALS_PATH;
  }

  async create(auth: AuthContext, accountId: string, dto: CreateContainerTokenDto, client: ClientInfo) {
    if (auth.session || (auth.method !== 'console-session' && auth.method !== 'sigv4')) {
      throw new DomainError(
        ErrorCode.AccessDenied,
        'Container tokens can only be created with long-term credentials (a console session or an access key), not with temporary credentials.',
      );
    }
    const policyText = dto.policy === undefined ? undefined : typeof dto.policy === 'string' ? dto.policy : JSON.stringify(dto.policy);
    const policyArns = dto.policyArns ?? [];
    const durationSeconds = dto.durationSeconds ?? DEFAULT_DURATION_SECONDS;
    // The same checks AssumeRole makes on these parameters, so a token that cannot work is refused now.
    parseAssumeRoleInput({
      RoleArn: dto.roleArn,
      RoleSessionName: dto.name,
      DurationSeconds: durationSeconds,
      ...(policyText !== undefined ? { Policy: policyText } : {}),
      ...(policyArns.length ? { PolicyArns: policyArns.map((arn) => ({ arn })) } : {}),
    });
    const role = await this.roles.findByArn(accountId, dto.roleArn);
    if (!role) throw DomainError.noSuchEntity(`The role ${dto.roleArn}`);
    if (durationSeconds > role.maxSessionDuration) {
      throw DomainError.validation(
        `durationSeconds (${durationSeconds}) exceeds the role's maximum session duration (${role.maxSessionDuration} seconds).`,
      );
    }
    const token = newOpaqueToken(CONTAINER_TOKEN_PREFIX);
    const expiresAt = dto.expiresInSeconds === undefined ? null : new Date(Date.now() + dto.expiresInSeconds * 1000);
    const row = await this.prisma.transaction(async (tx) => {
      const row = await this.repo.create(tx, {
        accountId,
        name: dto.name,
        tokenHash: sha256Hex(token),
        userId: auth.principal.id,
        roleArn: role.arn,
        sessionPolicy: policyText ?? null,
        policyArns,
        durationSeconds,
        expiresAt,
      });
      await this.audit.append(tx, {
        chain: accountId,
        action: 'sts:CreateContainerToken',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: role.arn,
        client,
        details: { containerTokenId: row.id, name: row.name, durationSeconds, policyArns, sessionPolicy: policyText !== undefined, expiresAt: expiresAt?.toISOString() ?? null },
      });
      return row;
    });
    return {
      id: row.id,
      name: row.name,
      roleArn: row.roleArn,
      token,
      fullUri: this.fullUri,
      createDate: row.createdAt.toISOString(),
      expiresAt: row.expiresAt?.toISOString() ?? null,
    };
  }

  async list(accountId: string) {
    const rows = await this.repo.listForAccount(accountId);
    const now = Date.now();
    return { fullUri: this.fullUri, containerTokens: rows.map((r) => tokenView(r, now)) };
  }

  /** Revokes the token and every session issued with it (and those chained from them), at once. */
  async revoke(auth: AuthContext, accountId: string, id: string, client: ClientInfo): Promise<void> {
    const t = await this.repo.find(accountId, id);
    if (!t) throw DomainError.noSuchEntity('The container token');
    await this.revokeWithSessions(t, auth, client);
  }

  /** The token and every session issued with it (and chained from those), in one audited transaction. */
  private async revokeWithSessions(t: ContainerTokenRow, actor: AuthContext, client: ClientInfo, reason?: string): Promise<void> {
    const at = new Date();
    const revoked = await this.prisma.transaction(async (tx) => {
      const token = await this.repo.revoke(tx, t.accountId, t.id, at);
      const sessions = await this.stsSessions.revoke(tx, t.accountId, { containerTokenId: t.id }, at);
      if (token || sessions.length) {
        await this.audit.append(tx, {
          chain: t.accountId,
          action: 'sts:DeleteContainerToken',
          outcome: 'success',
          actor: actorOf(actor),
          resourceArn: t.roleArn,
          client,
          details: { containerTokenId: t.id, name: t.name, revokedSessions: sessions.length, ...(reason ? { reason } : {}) },
        });
      }
      return sessions.map((r) => r.accessKeyId);
    });
    this.forget(t.id);
    this.sessions.invalidate(revoked);
  }

  /** GET /v1/container-credentials: the role credentials for the token presented. */
  async credentials(authorization: string | string[] | undefined, client: ClientInfo): Promise<ContainerCredentials> {
    const presented = presentedToken(authorization);
    if (!presented) {
      throw new DomainError(ErrorCode.MissingAuthenticationToken, 'The request needs the container credentials token in the Authorization header.');
    }
    if (presented.length > MAX_PRESENTED_TOKEN || !presented.startsWith(CONTAINER_TOKEN_PREFIX)) return this.rejected(null, INVALID_TOKEN(), client);
    const t = await this.repo.findByTokenHash(sha256Hex(presented));
    const now = Date.now();
    if (!t || t.revokedAt) {
      if (t) this.forget(t.id);
      return this.rejected(t, INVALID_TOKEN(), client);
    }
    if (t.expiresAt && t.expiresAt.getTime() <= now) {
      this.forget(t.id);
      return this.rejected(t, new DomainError(ErrorCode.ExpiredToken, 'The container credentials token has expired; create a new one.'), client);
    }
    let creds = await this.reusable(t, now);
    if (!creds) {
      // Only a new mint needs the creator: reused credentials are a live session, and deleting the creator revokes its sessions.
      const user = t.userId === 'root' ? await this.users.findRoot(t.accountId) : await this.users.findById(t.accountId, t.userId);
      // The creator was deleted: nothing more is handed out in its name.
      if (!user) {
        this.forget(t.id);
        return this.rejected(t, INVALID_TOKEN(), client);
      }
      creds = await this.mintOnce(t, user, client);
    }
    if (!t.lastUsedAt || now - t.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.repo
        .touchLastUsed(t.accountId, t.id, new Date(now), new Date(now - LAST_USED_RESOLUTION_MS))
        .catch((e: unknown) => this.logger.warn({ requestId: client.requestId, msg: `could not record container token use: ${(e as Error).message}` }));
    }
    return creds;
  }

  /** The last credentials of this token if they still have long enough to live and were not revoked by any path. */
  private async reusable(t: ContainerTokenRow, now: number): Promise<ContainerCredentials | null> {
    const r = this.reuse.get(t.id);
    if (!r) return null;
    if (r.expiresAt - now <= reuseThresholdMs(t.durationSeconds) || !(await this.stsSessions.isLive(t.accountId, r.credentials.AccessKeyId, t.id))) {
      this.reuse.delete(t.id);
      return null;
    }
    return r.credentials;
  }

  private mintOnce(t: ContainerTokenRow, user: UserRow, client: ClientInfo): Promise<ContainerCredentials> {
    let p = this.minting.get(t.id);
    if (!p) {
      p = this.mint(t, user, client).finally(() => this.minting.delete(t.id));
      this.minting.set(t.id, p);
    }
    return p;
  }

  private async mint(t: ContainerTokenRow, user: UserRow, client: ClientInfo): Promise<ContainerCredentials> {
    const ctx: AuthContext = {
      method: 'container-token',
      accountId: t.accountId,
      principal: principalOf(user),
      mfa: { present: false },
      tags: (user.tags ?? {}) as Record<string, string>,
    };
    // Credentials never outlive the token by more than AssumeRole's minimum duration.
    let duration = t.durationSeconds;
    if (t.expiresAt) duration = Math.max(MIN_DURATION_SECONDS, Math.min(duration, Math.floor((t.expiresAt.getTime() - Date.now()) / 1000)));
    const policyArns = (t.policyArns ?? []) as string[];
    const res = await this.sts.assumeRole(
      ctx,
      {
        RoleArn: t.roleArn,
        RoleSessionName: t.name,
        DurationSeconds: duration,
        ...(t.sessionPolicy !== null ? { Policy: t.sessionPolicy } : {}),
        ...(policyArns.length ? { PolicyArns: policyArns.map((arn) => ({ arn })) } : {}),
      },
      client,
      { containerTokenId: t.id },
    );
    await this.refuseIfRevokedMeanwhile(t, ctx, client);
    const expiration = new Date(res.Credentials.Expiration);
    const credentials: ContainerCredentials = {
      AccessKeyId: res.Credentials.AccessKeyId,
      SecretAccessKey: res.Credentials.SecretAccessKey,
      Token: res.Credentials.SessionToken,
      Expiration: rfc3339(expiration),
      RoleArn: t.roleArn,
    };
    if (this.reuse.size >= MAX_REUSE_ENTRIES && !this.reuse.has(t.id)) this.reuse.delete(this.reuse.keys().next().value!);
    this.reuse.set(t.id, { credentials, expiresAt: expiration.getTime() });
    return credentials;
  }

  /**
   * A revocation that committed while these credentials were being minted may
   * have missed the new session: revoke it (and refuse) here instead.
   */
  private async refuseIfRevokedMeanwhile(t: ContainerTokenRow, ctx: AuthContext, client: ClientInfo): Promise<void> {
    const revokedAt = await this.repo.revokedAtLocked(t.accountId, t.id);
    if (revokedAt === null) return;
    await this.revokeWithSessions(t, ctx, client, 'issued while the token was being revoked');
    throw INVALID_TOKEN();
  }

  private forget(id: string): void {
    this.reuse.delete(id);
  }

  /**
   * Audits a refused token (a failed authentication; never the token itself),
   * identical ones within the window counted on one record, and throws. A token
   * this broker knows is recorded in its account, any other on the platform chain.
   */
  private async rejected(t: ContainerTokenRow | null, err: DomainError, client: ClientInfo): Promise<never> {
    await this.failures.failed(
      {
        chain: t?.accountId ?? PLATFORM_CHAIN,
        action: 'sts:GetContainerCredentials',
        outcome: 'denied',
        errorCode: err.code,
        resourceArn: t?.roleArn ?? null,
        client,
        details: t ? { containerTokenId: t.id, name: t.name, revoked: t.revokedAt !== null } : { containerTokenId: null },
      },
      t?.id ?? null,
    );
    throw err;
  }
}
