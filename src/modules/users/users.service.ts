import { Injectable } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { isValidIamName, isValidIamPath } from '../../common/validation/iam-names.js';
import { StsSessionsRepository } from '../sts/sts-sessions.repository.js';
import { PrismaService } from '../../db/prisma.service.js';
import { AccessKeysRepository } from '../access-keys/access-keys.repository.js';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { SessionsRepository } from '../auth/sessions.repository.js';
import { ThrottleService } from '../auth/throttle.service.js';
import { GroupsRepository } from '../groups/groups.repository.js';
import { MfaRepository } from '../mfa/mfa.repository.js';
import { PasswordService } from '../passwords/password.service.js';
import { PoliciesRepository } from '../policies/policies.repository.js';
import { loginProfileView, principalArnOf, userView } from './user.views.js';
import { UsersRepository, type UserRow } from './users.repository.js';

export const MAX_TAGS = 50;

export function validateUserName(name: string): void {
  if (!isValidIamName(name)) throw DomainError.validation('User name must be 1-64 characters of letters, digits and +=,.@_-.');
}

export function validatePath(path: string): void {
  if (!isValidIamPath(path)) throw DomainError.validation('Path must be "/" or start and end with "/" (1-512 printable ASCII characters).');
}

function validateTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw new DomainError(ErrorCode.LimitExceeded, `A user can have at most ${MAX_TAGS} tags.`);
  for (const [k, v] of entries) {
    if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(k) || k.toLowerCase().startsWith('aws:')) throw DomainError.validation(`Tag key "${k.slice(0, 128)}" is not valid.`);
    if (typeof v !== 'string' || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u.test(v)) throw DomainError.validation(`Tag value for "${k}" is not valid.`);
  }
}

/** IAM users, their login profiles (console passwords) and self-service password change. */
@Injectable()
export class UsersService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly users: UsersRepository,
    private readonly groups: GroupsRepository,
    private readonly policies: PoliciesRepository,
    private readonly mfa: MfaRepository,
    private readonly sessions: SessionsRepository,
    private readonly passwords: PasswordService,
    private readonly audit: AuditService,
    private readonly accessKeys: AccessKeysRepository,
    private readonly accounts: AccountsRepository,
    private readonly throttle: ThrottleService,
    private readonly stsSessions: StsSessionsRepository,
  ) {}

  async require(accountId: string, userName: string): Promise<UserRow> {
    const u = await this.users.findByName(accountId, userName);
    if (!u) throw DomainError.noSuchEntity(`The user with name ${userName}`);
    return u;
  }

  async create(auth: AuthContext, accountId: string, input: { userName: string; path?: string; tags?: Record<string, string>; awsUserName?: string }, client: ClientInfo) {
    validateUserName(input.userName);
    if (input.awsUserName !== undefined) {
      validateUserName(input.awsUserName);
      if (!(await this.accounts.findById(accountId))?.awsAccountId) throw DomainError.validation('awsUserName needs an account linked to AWS (operators: PUT /v1/accounts/{id}/aws-link).');
    }
    const path = input.path ?? '/';
    validatePath(path);
    validateTags(input.tags ?? {});
    const u = await this.prisma.transaction(async (tx) => {
      const u = await this.users.create(tx, accountId, { name: input.userName, path, tags: input.tags ?? {}, awsUserName: input.awsUserName });
      await this.audit.append(tx, { chain: accountId, action: 'iam:CreateUser', outcome: 'success', actor: actorOf(auth), resourceArn: principalArnOf(u), client, details: { userName: u.name, path } });
      return u;
    });
    return userView(u);
  }

  async list(accountId: string, opts: { pathPrefix?: string; marker?: string; maxItems?: number }) {
    const maxItems = Math.min(Math.max(opts.maxItems ?? 100, 1), 1000);
    const page = await this.users.list(accountId, { ...opts, maxItems });
    return { users: page.items.map(userView), isTruncated: !!page.marker, marker: page.marker };
  }

  async get(accountId: string, userName: string) {
    return userView(await this.require(accountId, userName));
  }

  async update(auth: AuthContext, accountId: string, userName: string, patch: { newUserName?: string; newPath?: string }, client: ClientInfo) {
    if (patch.newUserName !== undefined) validateUserName(patch.newUserName);
    if (patch.newPath !== undefined) validatePath(patch.newPath);
    const before = await this.require(accountId, userName);
    const u = await this.prisma.transaction(async (tx) => {
      const u = await this.users.update(tx, accountId, before.id, { name: patch.newUserName, path: patch.newPath });
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:UpdateUser',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: principalArnOf(before),
        client,
        details: { userName: before.name, newUserName: patch.newUserName, newPath: patch.newPath },
      });
      return u;
    });
    return userView(u);
  }

  async setTags(auth: AuthContext, accountId: string, userName: string, add: Record<string, string>, remove: string[], client: ClientInfo) {
    const u = await this.require(accountId, userName);
    const tags = { ...((u.tags ?? {}) as Record<string, string>), ...add };
    for (const k of remove) delete tags[k];
    validateTags(tags);
    const updated = await this.prisma.transaction(async (tx) => {
      const r = await this.users.update(tx, accountId, u.id, { tags });
      await this.audit.append(tx, {
        chain: accountId,
        action: Object.keys(add).length ? 'iam:TagUser' : 'iam:UntagUser',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: principalArnOf(u),
        client,
        details: { added: Object.keys(add), removed: remove },
      });
      return r;
    });
    return userView(updated);
  }

  /** Like IAM: the user must have nothing attached any more (DeleteConflict says what remains). */
  async delete(auth: AuthContext, accountId: string, userName: string, client: ClientInfo) {
    const u = await this.require(accountId, userName);
    await this.prisma.transaction(async (tx) => {
      const remaining: string[] = [];
      if (u.passwordHash) remaining.push('login profile');
      if ((await this.accessKeys.countForUser(accountId, u.id, tx)) > 0) remaining.push('access keys');
      if ((await this.mfa.listForUser(accountId, u.id, tx)).length) remaining.push('MFA devices');
      if ((await this.policies.listAttached(accountId, 'USER', u.id, tx)).length) remaining.push('attached policies');
      if ((await this.policies.countInline(accountId, 'USER', u.id, tx)) > 0) remaining.push('inline policies');
      if ((await this.groups.groupsOfUser(accountId, u.id, tx)).length) remaining.push('group memberships');
      if (remaining.length) {
        throw new DomainError(ErrorCode.DeleteConflict, `Cannot delete entity, must remove ${remaining.join(', ')} first.`);
      }
      await this.users.delete(tx, accountId, u.id);
      // Every temporary credential the user obtained, directly or by chaining, goes with it.
      const revoked = await this.stsSessions.revoke(tx, accountId, { principalArn: principalArnOf(u) }, new Date());
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:DeleteUser',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: principalArnOf(u),
        client,
        details: { userName: u.name, revokedSessions: revoked.length },
      });
    });
  }

  // ---- login profile (console password) ----

  async getLoginProfile(accountId: string, userName: string) {
    const u = await this.require(accountId, userName);
    if (!u.passwordHash) throw DomainError.noSuchEntity(`Login Profile for User ${userName}`);
    return loginProfileView(u);
  }

  async createLoginProfile(auth: AuthContext, accountId: string, userName: string, password: string, resetRequired: boolean, client: ClientInfo) {
    const u = await this.require(accountId, userName);
    if (u.passwordHash) throw DomainError.alreadyExists(`Login Profile for user ${userName}`);
    await this.passwords.assertAcceptable(accountId, password, u.id);
    const hash = await this.passwords.hash(password);
    await this.prisma.transaction(async (tx) => {
      await this.passwords.store(tx, accountId, u.id, hash, { resetRequired, createProfile: true });
      await this.audit.append(tx, { chain: accountId, action: 'iam:CreateLoginProfile', outcome: 'success', actor: actorOf(auth), resourceArn: principalArnOf(u), client, details: { passwordResetRequired: resetRequired } });
    });
    return loginProfileView((await this.users.findById(accountId, u.id))!);
  }

  /** Administrator reset: any new password (policy applies), optionally "must change at next sign-in". */
  async updateLoginProfile(auth: AuthContext, accountId: string, userName: string, input: { password?: string; passwordResetRequired?: boolean }, client: ClientInfo) {
    const u = await this.require(accountId, userName);
    if (!u.passwordHash) throw DomainError.noSuchEntity(`Login Profile for User ${userName}`);
    const hash = input.password !== undefined ? (await this.passwords.assertAcceptable(accountId, input.password, u.id), await this.passwords.hash(input.password)) : null;
    await this.prisma.transaction(async (tx) => {
      if (hash) {
        await this.passwords.store(tx, accountId, u.id, hash, { resetRequired: input.passwordResetRequired ?? u.passwordResetRequired });
        await this.sessions.revokeAllForUser(tx, accountId, u.id);
      } else if (input.passwordResetRequired !== undefined) {
        await this.users.setPasswordResetRequired(tx, accountId, u.id, input.passwordResetRequired);
      }
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:UpdateLoginProfile',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: principalArnOf(u),
        client,
        details: { passwordChanged: !!hash, passwordResetRequired: input.passwordResetRequired },
      });
    });
    return loginProfileView((await this.users.findById(accountId, u.id))!);
  }

  async deleteLoginProfile(auth: AuthContext, accountId: string, userName: string, client: ClientInfo) {
    const u = await this.require(accountId, userName);
    if (!u.passwordHash) throw DomainError.noSuchEntity(`Login Profile for User ${userName}`);
    await this.prisma.transaction(async (tx) => {
      await this.users.clearPassword(tx, accountId, u.id);
      await this.sessions.revokeAllForUser(tx, accountId, u.id);
      await this.audit.append(tx, { chain: accountId, action: 'iam:DeleteLoginProfile', outcome: 'success', actor: actorOf(auth), resourceArn: principalArnOf(u), client });
    });
  }

  /**
   * ChangePassword: the caller changes its own password (old + new); who may
   * is the guard's decision (AuthorizationService, with IAM's implied grant
   * from AllowUsersToChangePassword). Wrong old passwords are throttled like
   * sign-ins; the user's other sessions end.
   */
  async changeOwnPassword(auth: AuthContext, oldPassword: string, newPassword: string, client: ClientInfo) {
    const accountId = auth.accountId!;
    const u = await this.users.findById(accountId, auth.principal.id);
    if (!u || !u.passwordHash) throw DomainError.noSuchEntity('Login Profile for the caller');
    const subject = { principalKey: `reauth:${u.id}`, ip: client.sourceIp };
    await this.throttle.assertNotLocked(subject, 'reauth');
    if (!(await this.passwords.verify(u.passwordHash, oldPassword))) {
      await this.throttle.recordFailure(subject, 'reauth');
      await this.audit.record({ chain: accountId, action: 'iam:ChangePassword', outcome: 'denied', errorCode: ErrorCode.InvalidCredentials, actor: actorOf(auth), resourceArn: principalArnOf(u), client });
      throw new DomainError(ErrorCode.InvalidCredentials, 'The old password is incorrect.');
    }
    await this.passwords.assertAcceptable(accountId, newPassword, u.id);
    const hash = await this.passwords.hash(newPassword);
    await this.prisma.transaction(async (tx) => {
      await this.passwords.store(tx, accountId, u.id, hash, { resetRequired: false });
      await this.sessions.revokeAllForUser(tx, accountId, u.id, auth.consoleSessionId);
      await this.audit.append(tx, { chain: accountId, action: 'iam:ChangePassword', outcome: 'success', actor: actorOf(auth), resourceArn: principalArnOf(u), client });
    });
  }
}
