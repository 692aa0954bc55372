import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import type { Tx } from '../../db/prisma.service.js';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { DEFAULT_PASSWORD_POLICY, passwordProblems, type PasswordPolicyRules } from './password-rules.js';

/** AWS remembers at most 24 previous passwords; keep that many so a stricter policy applies at once. */
const HISTORY_KEPT = 24;

/** Password policy, hashing and history: the one place passwords are handled. */
@Injectable()
export class PasswordService {
  constructor(
    private readonly hasher: PasswordHasher,
    private readonly accounts: AccountsRepository,
    private readonly users: UsersRepository,
  ) {}

  async policy(accountId: string | null): Promise<PasswordPolicyRules> {
    if (!accountId) return DEFAULT_PASSWORD_POLICY;
    const p = await this.accounts.getPasswordPolicy(accountId);
    if (!p) return DEFAULT_PASSWORD_POLICY;
    const { accountId: _a, ...rules } = p;
    return rules;
  }

  /** Checks the account's policy and reuse prevention; the message never repeats the password. */
  async assertAcceptable(accountId: string | null, password: string, userId?: string): Promise<void> {
    const policy = await this.policy(accountId);
    const problems = passwordProblems(password, policy);
    if (problems.length) {
      throw new DomainError(ErrorCode.PasswordPolicyViolation, `Password does not conform to the account password policy: it needs ${problems.join(', ')}.`);
    }
    if (accountId && userId && policy.passwordReusePrevention) {
      const recent = await this.users.recentPasswordHashes(accountId, userId, policy.passwordReusePrevention);
      for (const h of recent) {
        if (await this.hasher.verify(h, password)) {
          throw new DomainError(
            ErrorCode.PasswordPolicyViolation,
            `Password was used recently: the account policy prevents reusing the last ${policy.passwordReusePrevention} passwords.`,
          );
        }
      }
    }
  }

  hash(password: string): Promise<string> {
    return this.hasher.hash(password);
  }

  verify(hash: string | null | undefined, password: string): Promise<boolean> {
    return this.hasher.verify(hash, password);
  }

  store(tx: Tx, accountId: string, userId: string, hash: string, opts: { resetRequired: boolean; createProfile?: boolean }): Promise<void> {
    return this.users.setPassword(tx, accountId, userId, hash, { ...opts, keepHistory: HISTORY_KEPT });
  }
}
