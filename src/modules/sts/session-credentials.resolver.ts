import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { RefreshAheadCache } from '../../common/cache/refresh-ahead-cache.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { sha256Hex } from '../../common/ids.js';
import type { TemporaryCredentialResolver } from '../access-keys/sigv4-authenticator.service.js';
import { principalOf } from '../auth/signin.service.js';
import { RolesRepository } from '../roles/roles.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { SessionPolicyLoader } from './session-policy.loader.js';
import { StsSessionsRepository, type StsSessionRow } from './sts-sessions.repository.js';

/** Same bounds as access keys: a revoked session stops on every instance within 800 ms. */
export const SESSION_CACHE_REFRESH_MS = 400;
export const SESSION_CACHE_MAX_AGE_MS = 800;

interface CachedSession {
  tokenHash: Buffer;
  /** Decrypted secret: in memory only, for at most SESSION_CACHE_MAX_AGE_MS. */
  secret: string;
  expiresAt: number;
  revoked: boolean;
  context: AuthContext;
}

const INVALID = () => new DomainError(ErrorCode.InvalidClientTokenId, 'The security token included in the request is invalid.');

/**
 * Resolves local-issuer temporary credentials (ASIA… + X-Amz-Security-Token)
 * for the SigV4 authenticator: the session token must be the one issued with
 * that key (only its SHA-256 is stored, compared in constant time), the
 * session must be neither revoked nor expired, and the identity behind it must
 * still exist. The context carries the session's policies, so every request
 * made with it is limited to identity ∩ session policies.
 */
@Injectable()
export class SessionCredentialsResolver implements TemporaryCredentialResolver {
  private readonly cache = new RefreshAheadCache<CachedSession>(SESSION_CACHE_REFRESH_MS, SESSION_CACHE_MAX_AGE_MS);

  constructor(
    private readonly sessions: StsSessionsRepository,
    private readonly users: UsersRepository,
    private readonly roles: RolesRepository,
    private readonly policies: SessionPolicyLoader,
    @Inject(SecretBox) private readonly box: SecretBox,
  ) {}

  async resolve(accessKeyId: string, sessionToken: string, _client: ClientInfo): Promise<{ secret: string; context: AuthContext }> {
    if (!/^ASIA[A-Z2-7]{16}$/.test(accessKeyId)) throw INVALID();
    const s = await this.cache.get(accessKeyId, (id) => this.load(id));
    if (!s) throw INVALID();
    const presented = Buffer.from(sha256Hex(sessionToken), 'hex');
    // A token is bound to the key it was issued with: another key's token is refused.
    if (!timingSafeEqual(presented, s.tokenHash)) throw INVALID();
    if (s.revoked) throw INVALID();
    if (s.expiresAt <= Date.now()) throw new DomainError(ErrorCode.ExpiredToken, 'The security token included in the request is expired.');
    return { secret: s.secret, context: s.context };
  }

  /** Drops entries on this instance at once (revocation); other instances follow within SESSION_CACHE_MAX_AGE_MS. */
  invalidate(accessKeyIds: string[]): void {
    for (const id of accessKeyIds) this.cache.invalidate(id);
  }

  private async load(id: string): Promise<CachedSession | null> {
    const row = await this.sessions.findForAuthentication(id);
    if (!row || row.issuer !== 'local' || !row.secretCiphertext || !row.tokenHash) return null;
    const context = await this.contextOf(row);
    if (!context) return null;
    return {
      tokenHash: Buffer.from(row.tokenHash, 'hex'),
      secret: this.box.decryptString(row.secretCiphertext, row.accessKeyId),
      expiresAt: row.expiresAt.getTime(),
      revoked: row.revokedAt !== null,
      context,
    };
  }

  /** The auth context of a session, or null when the identity behind it is gone. */
  private async contextOf(row: StsSessionRow): Promise<AuthContext | null> {
    const tags = (row.tags ?? {}) as Record<string, string>;
    const policyArns = (row.policyArns ?? []) as string[];
    const sessionPolicies = await this.policies.load(row.accountId, row.sessionPolicy, policyArns, row.type === 'FederatedUser');
    const base = {
      method: 'sigv4' as const,
      accountId: row.accountId,
      mfa: row.mfaAuthenticatedAt ? { present: true, authenticatedAt: row.mfaAuthenticatedAt } : { present: false },
      accessKeyId: row.accessKeyId,
      sessionPolicies,
    };
    const session = {
      issuedAt: row.issuedAt,
      expiresAt: row.expiresAt,
      sourceIdentity: row.sourceIdentity ?? undefined,
      sourceArn: row.sourceArn,
      chained: row.parentAccessKeyId !== null,
    };
    if (row.type === 'AssumedRole') {
      const role = row.roleId ? await this.roles.findById(row.accountId, row.roleId) : null;
      if (!role) return null;
      return {
        ...base,
        principal: { kind: 'AssumedRole', id: role.id, arn: row.arn, name: row.sessionName ?? '', userId: `${role.id}:${row.sessionName}` },
        tags: { ...((role.tags ?? {}) as Record<string, string>), ...tags },
        session: { ...session, type: 'AssumedRole', roleId: role.id, roleArn: role.arn },
      };
    }
    const user = await this.users.findById(row.accountId, row.principalId);
    if (!user) return null;
    if (row.type === 'FederatedUser') {
      return {
        ...base,
        principal: { kind: 'FederatedUser', id: user.id, arn: row.arn, name: row.sessionName ?? '', userId: `${row.accountId}:${row.sessionName}` },
        tags,
        session: { ...session, type: 'FederatedUser', baseUserId: user.id, baseUserKind: user.kind === 'ROOT' ? 'Root' : 'IAMUser' },
      };
    }
    return {
      ...base,
      principal: principalOf(user),
      tags: (user.tags ?? {}) as Record<string, string>,
      session: { ...session, type: 'SessionToken', baseUserId: user.id, baseUserKind: user.kind === 'ROOT' ? 'Root' : 'IAMUser' },
    };
  }
}
