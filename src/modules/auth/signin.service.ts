import { Inject, Injectable } from '@nestjs/common';
import { rootArn, userArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { newOpaqueToken, sha256Hex } from '../../common/ids.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';
import { PrismaService } from '../../db/prisma.service.js';
import { AccountsRepository, type AccountRow } from '../accounts/accounts.repository.js';
import { AuditService, PLATFORM_CHAIN } from '../audit/audit.service.js';
import { FailureAggregator } from '../audit/failure-aggregator.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MfaService } from '../mfa/mfa.service.js';
import { PasswordService } from '../passwords/password.service.js';
import { isPasswordExpired } from '../passwords/password-rules.js';
import { AuthorizationService } from '../policies/authorization.service.js';
import { UsersRepository, type UserRow } from '../users/users.repository.js';
import { SessionsRepository, type ConsoleSessionRow } from './sessions.repository.js';
import { ThrottleService, type ThrottleSubject } from './throttle.service.js';

export const SESSION_TOKEN_PREFIX = 'cbs_';
export const CHALLENGE_TOKEN_PREFIX = 'cbch_';
const CHALLENGE_TTL_MS = 5 * 60_000;
const CHALLENGE_MAX_ATTEMPTS = 5;

export interface PasswordSignIn {
  /** Account ID or alias. */
  account: string;
  /** Root signs in by email… */
  email?: string;
  /** …IAM users by name. */
  userName?: string;
  password: string;
  mfaCode?: string;
}

/** Who passed the password step (the password strategy's result). */
export interface VerifiedPassword {
  account: AccountRow;
  user: UserRow;
  throttle: ThrottleSubject;
}

export type SignInResult =
  | { status: 'MFA_REQUIRED'; challengeToken: string; expiresAt: string }
  | {
      status: 'SIGNED_IN';
      sessionToken: string;
      expiresAt: string;
      accountId: string;
      arn: string;
      mfaAuthenticated: boolean;
      restriction: AuthContext['restriction'] | null;
    };

const FAILED = () => new DomainError(ErrorCode.InvalidCredentials, 'Your authentication information is incorrect. Please try again.');

export function principalOf(u: Pick<UserRow, 'id' | 'accountId' | 'kind' | 'path' | 'name'>): AuthContext['principal'] {
  return u.kind === 'ROOT'
    ? { kind: 'Root', id: u.id, arn: rootArn(u.accountId), name: 'root', userId: u.accountId }
    : { kind: 'IAMUser', id: u.id, arn: userArn(u.accountId, u.path, u.name!), name: u.name!, userId: u.id };
}

/**
 * Console sign-in: password, then TOTP when the principal has MFA; console
 * sessions as opaque bearer tokens stored hashed. Unknown account, unknown
 * user and wrong password get the same answer in the same time.
 */
@Injectable()
export class SignInService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly accounts: AccountsRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly passwords: PasswordService,
    private readonly mfa: MfaService,
    private readonly throttle: ThrottleService,
    private readonly authz: AuthorizationService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly failures: FailureAggregator,
  ) {}

  /** Keyed by what was typed, so unknown principals are throttled like known ones. */
  private throttleSubject(input: PasswordSignIn, client: ClientInfo): ThrottleSubject {
    const who = (input.email ?? input.userName ?? '').toLowerCase();
    return { principalKey: `${input.account.toLowerCase()}:${input.email ? 'email' : 'user'}:${who}`, ip: client.sourceIp };
  }

  /** Step one: the password. Throws the same InvalidCredentials for every kind of miss. */
  async verifyPassword(input: PasswordSignIn, client: ClientInfo): Promise<VerifiedPassword> {
    const throttle = this.throttleSubject(input, client);
    try {
      await this.throttle.assertNotLocked(throttle);
    } catch (e) {
      this.metrics.signIns.inc({ outcome: 'throttled' });
      // An attempt refused while locked out is a failed sign-in too, on the account's chain when it names one (counted like the others).
      const lockedAccount = input.account ? await this.accounts.findByIdOrAlias(input.account) : null;
      await this.failures.failed(
        {
          chain: lockedAccount?.id ?? PLATFORM_CHAIN,
          action: 'signin:ConsoleLogin',
          outcome: 'denied',
          errorCode: e instanceof DomainError ? e.code : ErrorCode.Throttling,
          client,
          details: { account: input.account.slice(0, 64), userName: input.userName?.slice(0, 64), email: input.email?.slice(0, 254), lockedOut: true },
        },
        `${throttle.principalKey}|throttled`.slice(0, 400),
      );
      throw e;
    }
    const account = input.account ? await this.accounts.findByIdOrAlias(input.account) : null;
    let user: UserRow | null = null;
    if (account && input.email && !input.userName) user = await this.users.findRootByEmail(account.id, input.email);
    else if (account && input.userName && !input.email) user = await this.users.findByName(account.id, input.userName);
    const ok = await this.passwords.verify(user?.passwordHash, input.password);
    if (!ok || !account || !user) {
      const locked = await this.throttle.recordFailure(throttle);
      this.metrics.signIns.inc({ outcome: 'failure' });
      // Identical failures (same typed principal, address) within the window are counted on one record.
      await this.failures.failed({
        chain: account?.id ?? PLATFORM_CHAIN,
        action: 'signin:ConsoleLogin',
        outcome: 'denied',
        errorCode: ErrorCode.InvalidCredentials,
        actor: user ? { arn: principalOf(user).arn, type: principalOf(user).kind } : null,
        client,
        details: { account: input.account.slice(0, 64), userName: input.userName?.slice(0, 64), email: input.email?.slice(0, 254), lockedOut: locked },
      }, `${throttle.principalKey}|${locked}`.slice(0, 400));
      throw FAILED();
    }
    const policy = await this.passwords.policy(account.id);
    if (policy.hardExpiry && user.kind === 'IAM' && isPasswordExpired(user.passwordChangedAt, policy)) {
      await this.audit.record({ chain: account.id, action: 'signin:ConsoleLogin', outcome: 'denied', errorCode: ErrorCode.PasswordResetRequired, actor: { arn: principalOf(user).arn, type: principalOf(user).kind }, client });
      throw new DomainError(ErrorCode.PasswordResetRequired, 'Your password has expired; ask an administrator to reset it.');
    }
    return { account, user, throttle };
  }

  /** Step two, after the password strategy: MFA when the principal has a device, else the session. */
  async afterPassword(auth: AuthContext, input: PasswordSignIn, client: ClientInfo): Promise<SignInResult> {
    const [account, user] = await Promise.all([this.accounts.findById(auth.accountId!), this.users.findById(auth.accountId!, auth.principal.id)]);
    if (!account || !user) throw FAILED();
    const v: VerifiedPassword = { account, user, throttle: this.throttleSubject(input, client) };
    const mfaCode = input.mfaCode;
    const hasMfa = await this.mfa.hasEnabledDevice(v.account.id, v.user.id);
    if (hasMfa && mfaCode === undefined) {
      const token = newOpaqueToken(CHALLENGE_TOKEN_PREFIX);
      const expiresAt = new Date(Date.now() + CHALLENGE_TTL_MS);
      await this.sessions.createChallenge({ accountId: v.account.id, userId: v.user.id, tokenHash: sha256Hex(token), sourceIp: client.sourceIp, expiresAt });
      this.metrics.signIns.inc({ outcome: 'mfa_required' });
      return { status: 'MFA_REQUIRED', challengeToken: token, expiresAt: expiresAt.toISOString() };
    }
    if (hasMfa && !(await this.checkMfa(v, mfaCode!, client))) throw new DomainError(ErrorCode.InvalidAuthenticationCode, 'The MFA code is not valid.');
    return this.openSession(v, hasMfa, client);
  }

  /** Completes a sign-in that stopped at the MFA step. */
  async completeChallenge(challengeToken: string, mfaCode: string, client: ClientInfo): Promise<SignInResult> {
    const ch = await this.sessions.findChallenge(sha256Hex(challengeToken));
    if (!ch) throw new DomainError(ErrorCode.InvalidToken, 'The sign-in challenge is invalid or has expired; sign in again.');
    const [account, user] = await Promise.all([this.accounts.findById(ch.accountId), this.users.findById(ch.accountId, ch.userId)]);
    if (!account || !user) throw new DomainError(ErrorCode.InvalidToken, 'The sign-in challenge is invalid or has expired; sign in again.');
    const v: VerifiedPassword = { account, user, throttle: { principalKey: `challenge:${user.id}`, ip: client.sourceIp } };
    await this.throttle.assertNotLocked(v.throttle, 'mfa');
    if (!(await this.checkMfa(v, mfaCode, client))) {
      if ((await this.sessions.failChallenge(ch.accountId, ch.id)) >= CHALLENGE_MAX_ATTEMPTS) await this.sessions.consumeChallenge(this.prisma, ch.accountId, ch.id);
      throw new DomainError(ErrorCode.InvalidAuthenticationCode, 'The MFA code is not valid.');
    }
    if (!(await this.sessions.consumeChallenge(this.prisma, ch.accountId, ch.id))) {
      throw new DomainError(ErrorCode.InvalidToken, 'The sign-in challenge is invalid or has expired; sign in again.');
    }
    return this.openSession(v, true, client);
  }

  private async checkMfa(v: VerifiedPassword, code: string, client: ClientInfo): Promise<boolean> {
    const subject = { principalKey: `signin:${v.user.id}`, ip: client.sourceIp };
    await this.throttle.assertNotLocked(subject, 'mfa');
    if (await this.mfa.verifyCode(v.account.id, v.user.id, code)) return true;
    await this.throttle.recordFailure(subject, 'mfa');
    this.metrics.signIns.inc({ outcome: 'mfa_failure' });
    const p = principalOf(v.user);
    // Each MFA failure is recorded: the MFA throttle already bounds how many there can be.
    await this.audit.record({ chain: v.account.id, action: 'signin:ConsoleLogin', outcome: 'denied', errorCode: ErrorCode.InvalidAuthenticationCode, actor: { arn: p.arn, type: p.kind }, client, details: { step: 'mfa' } });
    return false;
  }

  private async openSession(v: VerifiedPassword, mfaUsed: boolean, client: ClientInfo): Promise<SignInResult> {
    const principal = principalOf(v.user);
    const policy = await this.passwords.policy(v.account.id);
    let restriction: AuthContext['restriction'];
    if (v.user.passwordResetRequired || (v.user.kind === 'IAM' && isPasswordExpired(v.user.passwordChangedAt, policy))) restriction = 'password-change';
    else if (!mfaUsed && (await this.mfaRequired(v, principal))) restriction = 'mfa-enrollment';
    const token = newOpaqueToken(SESSION_TOKEN_PREFIX);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.consoleSessionTtlSeconds * 1000);
    await this.prisma.transaction(async (tx) => {
      // An expired password must be changed before anything else, in this session and the next.
      if (restriction === 'password-change' && !v.user.passwordResetRequired) await this.users.setPasswordResetRequired(tx, v.account.id, v.user.id, true);
      await this.sessions.createSession(tx, {
        accountId: v.account.id,
        userId: v.user.id,
        tokenHash: sha256Hex(token),
        mfaAuthenticatedAt: mfaUsed ? now : null,
        enrollOnly: restriction === 'mfa-enrollment',
        sourceIp: client.sourceIp,
        expiresAt,
      });
      await this.audit.append(tx, {
        chain: v.account.id,
        action: 'signin:ConsoleLogin',
        outcome: 'success',
        actor: { arn: principal.arn, type: principal.kind, mfa: mfaUsed },
        resourceArn: principal.arn,
        client,
        details: { mfaUsed, restriction: restriction ?? null },
      });
    });
    await this.throttle.recordSuccess(v.throttle);
    await this.users.touchPasswordUsed(v.account.id, v.user.id);
    this.metrics.signIns.inc({ outcome: 'success' });
    return {
      status: 'SIGNED_IN',
      sessionToken: token,
      expiresAt: expiresAt.toISOString(),
      accountId: v.account.id,
      arn: principal.arn,
      mfaAuthenticated: mfaUsed,
      restriction: restriction ?? null,
    };
  }

  /** Root when the account requires root MFA; administrators when it requires admin MFA. */
  private async mfaRequired(v: VerifiedPassword, principal: AuthContext['principal']): Promise<boolean> {
    if (principal.kind === 'Root') return v.account.requireRootMfa;
    if (!v.account.requireAdminMfa) return false;
    const probe: AuthContext = { method: 'console-session', accountId: v.account.id, principal, mfa: { present: true, authenticatedAt: new Date() }, tags: (v.user.tags ?? {}) as Record<string, string> };
    const users = userArn(v.account.id, '/', '*');
    for (const action of ['iam:CreateUser', 'iam:AttachUserPolicy', 'iam:PutUserPolicy', 'iam:CreateAccessKey']) {
      if (await this.authz.isAllowed(probe, action, users)) return true;
    }
    return false;
  }

  /** The bearer strategy's lookup: a live session's auth context, or null. */
  async contextForSession(token: string): Promise<AuthContext | null> {
    if (!token.startsWith(SESSION_TOKEN_PREFIX)) return null;
    const s = await this.sessions.findLiveByTokenHash(sha256Hex(token));
    return s ? this.contextOf(s, s.user) : null;
  }

  private contextOf(s: ConsoleSessionRow, user: UserRow): AuthContext {
    return {
      method: 'console-session',
      accountId: s.accountId,
      principal: principalOf(user),
      mfa: { present: s.mfaAuthenticatedAt !== null, authenticatedAt: s.mfaAuthenticatedAt ?? undefined },
      consoleSessionId: s.id,
      restriction: user.passwordResetRequired ? 'password-change' : s.enrollOnly ? 'mfa-enrollment' : undefined,
      tags: (user.tags ?? {}) as Record<string, string>,
    };
  }

  async signOut(auth: AuthContext, client: ClientInfo): Promise<void> {
    if (!auth.consoleSessionId || !auth.accountId) return;
    await this.prisma.transaction(async (tx) => {
      await this.sessions.revoke(tx, auth.accountId!, auth.consoleSessionId!);
      await this.audit.append(tx, { chain: auth.accountId!, action: 'signin:SignOut', outcome: 'success', actor: { arn: auth.principal.arn, type: auth.principal.kind, mfa: auth.mfa.present }, client });
    });
  }
}
