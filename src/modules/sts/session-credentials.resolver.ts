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
import type { PolicyDocument } from '../../common/policy/policy-document.js';
import { refKey } from '../../db/account-refs.js';
import { RolesRepository, type RoleRow } from '../roles/roles.repository.js';
import { UsersRepository, type UserRow } from '../users/users.repository.js';
import { SessionPolicyLoader, type SessionPolicySource, type SessionPolicyTexts } from './session-policy.loader.js';
import { StsSessionsRepository, type StsSessionRow } from './sts-sessions.repository.js';

/** Same bounds as access keys: a revoked session stops on every instance within 800 ms. */
export const SESSION_CACHE_REFRESH_MS = 400;
export const SESSION_CACHE_MAX_AGE_MS = 800;
/** Background refreshes wait at most this long to share one load (well inside MAX_AGE - REFRESH). */
const SESSION_REFRESH_BATCH_MS = 50;

interface CachedSession {
  tokenHash: Buffer;
  /** Decrypted secret: in memory only, for at most SESSION_CACHE_MAX_AGE_MS. */
  secret: string;
  /** The box `secret` came from: a refresh that reads the same box reuses `secret`. */
  secretBox: string;
  /** SessionPolicyTexts.key of the policies in `context`: a refresh that reads the same texts reuses them, parsed. */
  policyKey: string;
  expiresAt: number;
  revoked: boolean;
  context: AuthContext;
}

const INVALID = () => new DomainError(ErrorCode.InvalidClientTokenId, 'The security token included in the request is invalid.');

const policySourceOf = (row: StsSessionRow): SessionPolicySource => ({
  accountId: row.accountId,
  inline: row.sessionPolicy,
  arns: (row.policyArns ?? []) as string[],
  required: row.type === 'FederatedUser',
});

/**
 * Resolves local-issuer temporary credentials (ASIA… + X-Amz-Security-Token)
 * for the SigV4 authenticator: the session token must be the one issued with
 * that key (only its SHA-256 is stored, compared in constant time), the
 * session must be neither revoked nor expired, and the identity behind it must
 * still exist. The context carries the session's policies, so every request
 * made with it is limited to identity ∩ session policies.
 *
 * Sessions in use are refreshed in batches (RefreshAheadCache.refreshInBatches):
 * four queries per load whatever the number of sessions (the sessions, their
 * roles, their users, their customer managed session policies), where one per
 * session per refresh period would grow with the callers.
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
  ) {
    this.cache.refreshInBatches((ids) => this.loadMany(ids), SESSION_REFRESH_BATCH_MS);
  }

  async resolve(accessKeyId: string, sessionToken: string, _client: ClientInfo): Promise<{ secret: string; context: AuthContext }> {
    if (!/^ASIA[A-Z2-7]{16}$/.test(accessKeyId)) throw INVALID();
    const s = this.cache.peek(accessKeyId, this.load) ?? (await this.cache.get(accessKeyId, this.load));
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

  private readonly load = async (id: string): Promise<CachedSession | null> => (await this.loadMany([id])).get(id) ?? null;

  /** Sessions with their identities and session policies: one query for each, however many sessions. */
  private async loadMany(ids: string[]): Promise<Map<string, CachedSession | null>> {
    const rows = (await this.sessions.findManyForAuthentication(ids)).filter((r) => r.issuer === 'local' && r.secretCiphertext && r.tokenHash);
    const roleRefs = rows.filter((r) => r.type === 'AssumedRole' && r.roleId).map((r) => ({ accountId: r.accountId, id: r.roleId! }));
    const userRefs = rows.filter((r) => r.type !== 'AssumedRole').map((r) => ({ accountId: r.accountId, id: r.principalId }));
    const sources = rows.map(policySourceOf);
    const [roles, users, texts] = await Promise.all([this.roles.findManyByIds(roleRefs), this.users.findManyByIds(userRefs), this.policies.texts(sources)]);
    const found = new Map<string, CachedSession | null>(ids.map((id) => [id, null]));
    rows.forEach((row, i) => found.set(row.accessKeyId, this.cached(row, roles, users, sources[i]!, texts[i]!)));
    return found;
  }

  private cached(row: StsSessionRow, roles: Map<string, RoleRow>, users: Map<string, UserRow>, source: SessionPolicySource, texts: SessionPolicyTexts): CachedSession | null {
    const previous = this.cache.previous(row.accessKeyId);
    // A refresh reads the same box and policies nearly always: decrypting and parsing them again per
    // session per refresh period would add up with many sessions in use.
    const sessionPolicies = previous?.policyKey === texts.key ? previous.context.sessionPolicies : this.policies.documents(source, texts);
    const context = this.contextOf(row, roles, users, sessionPolicies);
    if (!context) return null;
    const box = row.secretCiphertext!;
    return {
      tokenHash: Buffer.from(row.tokenHash!, 'hex'),
      secret: previous?.secretBox === box ? previous.secret : this.box.decryptString(box, row.accessKeyId),
      secretBox: box,
      policyKey: texts.key,
      expiresAt: row.expiresAt.getTime(),
      revoked: row.revokedAt !== null,
      context,
    };
  }

  /** The auth context of a session, or null when the identity behind it is gone. */
  private contextOf(row: StsSessionRow, roles: Map<string, RoleRow>, users: Map<string, UserRow>, sessionPolicies: PolicyDocument[] | undefined): AuthContext | null {
    const tags = (row.tags ?? {}) as Record<string, string>;
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
      const role = row.roleId ? roles.get(refKey(row.accountId, row.roleId)) : undefined;
      if (!role) return null;
      return {
        ...base,
        principal: { kind: 'AssumedRole', id: role.id, arn: row.arn, name: row.sessionName ?? '', userId: `${role.id}:${row.sessionName}` },
        tags: { ...((role.tags ?? {}) as Record<string, string>), ...tags },
        session: { ...session, type: 'AssumedRole', roleId: role.id, roleArn: role.arn },
      };
    }
    const user = users.get(refKey(row.accountId, row.principalId));
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
