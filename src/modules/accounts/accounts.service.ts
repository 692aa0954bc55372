import { Inject, Injectable } from '@nestjs/common';
import { rootArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { newOpaqueToken, sha256Hex } from '../../common/ids.js';
import { aliasLooksLikeAccountId, isValidAccountAlias, isValidEmail } from '../../common/validation/iam-names.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';
import { PrismaService } from '../../db/prisma.service.js';
import { actorOf, AuditService, PLATFORM_CHAIN } from '../audit/audit.service.js';
import { SessionsRepository } from '../auth/sessions.repository.js';
import { ThrottleService } from '../auth/throttle.service.js';
import { Mailer } from '../mailer/mailer.js';
import { PasswordService } from '../passwords/password.service.js';
import { UsersRepository } from '../users/users.repository.js';
import { AccessKeysRepository } from '../access-keys/access-keys.repository.js';
import { KeyCache } from '../access-keys/key-cache.js';
import { accountView } from './account.views.js';
import { AccountsRepository, type AccountSettings } from './accounts.repository.js';

export interface CreateAccountInput {
  name: string;
  alias?: string;
  rootEmail: string;
  rootPassword: string;
  /** Root access keys locked (default true: the best practice); false is the explicit opt-out. */
  lockRootAccessKeys?: boolean;
}

function validateAlias(alias: string): void {
  if (!isValidAccountAlias(alias)) {
    throw DomainError.validation(
      'Account alias must be 3-63 characters of lowercase letters, digits and hyphens, not starting or ending with a hyphen.',
    );
  }
  if (aliasLooksLikeAccountId(alias)) throw DomainError.validation('Account alias must not look like a 12-digit account ID.');
}

function validateEmail(email: string): void {
  if (!isValidEmail(email)) throw DomainError.validation('The email address is not valid.');
}

/** Accounts, their root user's email, alias, settings and the root password reset. */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly accounts: AccountsRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly passwords: PasswordService,
    private readonly audit: AuditService,
    private readonly mailer: Mailer,
    private readonly throttle: ThrottleService,
    private readonly accessKeys: AccessKeysRepository,
    private readonly keyCache: KeyCache,
  ) {}

  async create(auth: AuthContext, input: CreateAccountInput, client: ClientInfo) {
    if (input.alias !== undefined) validateAlias(input.alias);
    validateEmail(input.rootEmail);
    await this.passwords.assertAcceptable(null, input.rootPassword);
    const hash = await this.passwords.hash(input.rootPassword);
    const account = await this.prisma.transaction(async (tx) => {
      const account = await this.accounts.create(tx, { name: input.name, alias: input.alias, lockRootAccessKeys: input.lockRootAccessKeys });
      await this.audit.createChain(tx, account.id);
      const root = await this.users.createRoot(tx, account.id, input.rootEmail, hash);
      await this.passwords.store(tx, account.id, root.id, hash, { resetRequired: false });
      const details = { accountName: input.name, alias: input.alias ?? null };
      const entry = { action: 'account:CreateAccount', outcome: 'success' as const, actor: actorOf(auth), resourceArn: rootArn(account.id), client, details };
      await this.audit.append(tx, { ...entry, chain: account.id });
      await this.audit.append(tx, { ...entry, chain: PLATFORM_CHAIN });
      return account;
    });
    return accountView(account, input.rootEmail.toLowerCase());
  }

  async list(opts: { marker?: string; maxItems: number }) {
    const rows = await this.accounts.list(opts);
    const more = rows.length > opts.maxItems;
    const items = more ? rows.slice(0, opts.maxItems) : rows;
    return { accounts: items.map((a) => accountView(a)), isTruncated: more, marker: more ? items[items.length - 1].id : undefined };
  }

  /** The account; its root email only for root itself and operators. */
  async get(auth: AuthContext, accountId: string) {
    const a = await this.accounts.findById(accountId);
    if (!a) throw DomainError.noSuchEntity('The account');
    if (auth.principal.kind !== 'Root' && auth.principal.kind !== 'Operator') return accountView(a);
    const root = await this.users.findRoot(accountId);
    return accountView(a, root?.email ?? null);
  }

  async update(auth: AuthContext, accountId: string, patch: { name?: string } & Partial<AccountSettings>, client: ClientInfo) {
    const a = await this.prisma.transaction(async (tx) => {
      const a = await this.accounts.update(tx, accountId, patch);
      await this.audit.append(tx, {
        chain: accountId,
        action: patch.name !== undefined ? 'account:UpdateAccountName' : 'account:UpdateAccountSettings',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: rootArn(accountId),
        client,
        details: { ...patch },
      });
      return a;
    });
    if (patch.lockRootAccessKeys !== undefined) {
      // Root keys follow the lock at once here; other instances within the key cache's bound.
      const root = await this.users.findRoot(accountId);
      if (root) for (const k of await this.accessKeys.listForUser(accountId, root.id)) this.keyCache.invalidate(k.id);
    }
    return accountView(a);
  }

  /** Links the account to an AWS account (upstream mode), or unlinks it (null). Operators only. */
  async linkAws(auth: AuthContext, accountId: string, awsAccountId: string | null, client: ClientInfo) {
    if (awsAccountId !== null && !/^\d{12}$/.test(awsAccountId)) throw DomainError.validation('awsAccountId must be a 12-digit AWS account ID.');
    const a = await this.prisma.transaction(async (tx) => {
      const a = await this.accounts.update(tx, accountId, { awsAccountId });
      const entry = { action: 'account:LinkAwsAccount', outcome: 'success' as const, actor: actorOf(auth), resourceArn: rootArn(accountId), client, details: { awsAccountId } };
      await this.audit.append(tx, { ...entry, chain: accountId });
      await this.audit.append(tx, { ...entry, chain: PLATFORM_CHAIN });
      return a;
    });
    return accountView(a);
  }

  async setAlias(auth: AuthContext, accountId: string, alias: string | null, client: ClientInfo) {
    if (alias !== null) validateAlias(alias);
    const a = await this.prisma.transaction(async (tx) => {
      const before = await this.accounts.findById(accountId, tx);
      if (alias === null && !before?.alias) throw DomainError.noSuchEntity('The account alias');
      const a = await this.accounts.update(tx, accountId, { alias });
      await this.audit.append(tx, {
        chain: accountId,
        action: alias === null ? 'iam:DeleteAccountAlias' : 'iam:CreateAccountAlias',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: rootArn(accountId),
        client,
        details: { alias: alias ?? before?.alias ?? null },
      });
      return a;
    });
    return accountView(a);
  }

  /** Root changes the account email; the current password confirms it. */
  async changeRootEmail(auth: AuthContext, accountId: string, newEmail: string, password: string, client: ClientInfo) {
    validateEmail(newEmail);
    const root = await this.users.findRoot(accountId);
    const subject = { principalKey: `reauth:${root?.id ?? accountId}`, ip: client.sourceIp };
    await this.throttle.assertNotLocked(subject, 'reauth');
    if (!root || !(await this.passwords.verify(root.passwordHash, password))) {
      await this.throttle.recordFailure(subject, 'reauth');
      await this.audit.record({ chain: accountId, action: 'account:UpdateRootEmail', outcome: 'denied', errorCode: ErrorCode.InvalidCredentials, actor: actorOf(auth), resourceArn: rootArn(accountId), client });
      throw new DomainError(ErrorCode.InvalidCredentials, 'The password is incorrect.');
    }
    await this.prisma.transaction(async (tx) => {
      await this.users.update(tx, accountId, root.id, { email: newEmail });
      await this.audit.append(tx, {
        chain: accountId,
        action: 'account:UpdateRootEmail',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: rootArn(accountId),
        client,
        details: { previousEmail: root.email, newEmail: newEmail.toLowerCase() },
      });
    });
    return { rootEmail: newEmail.toLowerCase() };
  }

  /**
   * "Forgot password?" for root: the same answer whether or not the email is
   * known; a known one gets a single-use token by mail. Throttled per address.
   */
  async requestRootPasswordReset(email: string, client: ClientInfo): Promise<void> {
    const subject = { principalKey: `reset:${email.toLowerCase()}`, ip: client.sourceIp };
    await this.throttle.assertNotLocked(subject, 'reset');
    await this.throttle.recordFailure(subject, 'reset'); // every request counts: caps mail volume per address
    const root = isValidEmail(email) ? await this.users.findRootByEmailAnyAccount(email) : null;
    if (!root) {
      await this.audit.record({
        chain: PLATFORM_CHAIN,
        action: 'signin:PasswordResetRequest',
        outcome: 'denied',
        errorCode: 'NoSuchEntity',
        client,
        details: { reason: 'unknown email' },
      });
      return;
    }
    const token = newOpaqueToken('cbrst_');
    await this.prisma.transaction(async (tx) => {
      await this.sessions.createResetToken(tx, {
        accountId: root.accountId,
        userId: root.id,
        tokenHash: sha256Hex(token),
        expiresAt: new Date(Date.now() + this.config.passwordResetTtlSeconds * 1000),
      });
      await this.audit.append(tx, {
        chain: root.accountId,
        action: 'signin:PasswordResetRequest',
        outcome: 'success',
        resourceArn: rootArn(root.accountId),
        client,
      });
    });
    await this.mailer.send({
      to: root.email!,
      subject: 'Reset your credbroker root password',
      body:
        `Someone asked to reset the root password of account ${root.accountId}.\n` +
        `To choose a new password, send this token to POST /v1/root/password-reset/confirm within ` +
        `${Math.round(this.config.passwordResetTtlSeconds / 60)} minutes:\n\n${token}\n\n` +
        `If it was not you, ignore this message; your password is unchanged.\n`,
    }, client.requestId);
  }

  async confirmRootPasswordReset(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    const row = await this.sessions.findLiveResetToken(sha256Hex(token));
    if (!row) throw new DomainError(ErrorCode.InvalidToken, 'The reset token is invalid or has expired.');
    await this.passwords.assertAcceptable(row.accountId, newPassword, row.userId);
    const hash = await this.passwords.hash(newPassword);
    await this.prisma.transaction(async (tx) => {
      if (!(await this.sessions.consumeResetToken(tx, row.accountId, row.id))) {
        throw new DomainError(ErrorCode.InvalidToken, 'The reset token is invalid or has expired.');
      }
      await this.passwords.store(tx, row.accountId, row.userId, hash, { resetRequired: false });
      await this.sessions.revokeAllForUser(tx, row.accountId, row.userId);
      await this.audit.append(tx, {
        chain: row.accountId,
        action: 'signin:PasswordReset',
        outcome: 'success',
        actor: { arn: rootArn(row.accountId), type: 'Root' },
        resourceArn: rootArn(row.accountId),
        client,
      });
    });
  }
}
