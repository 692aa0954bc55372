import { Injectable } from '@nestjs/common';
import { rootArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { PrismaService } from '../../db/prisma.service.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { DEFAULT_PASSWORD_POLICY, type PasswordPolicyRules } from '../passwords/password-rules.js';
import { AccountsRepository } from './accounts.repository.js';

/** The account password policy (IAM Get/Update/DeleteAccountPasswordPolicy). */
@Injectable()
export class PasswordPolicyService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly accounts: AccountsRepository,
    private readonly audit: AuditService,
  ) {}

  async get(accountId: string) {
    const p = await this.accounts.getPasswordPolicy(accountId);
    if (!p) throw DomainError.noSuchEntity(`The Password Policy with domain name ${accountId}`);
    const { accountId: _a, ...rules } = p;
    return rules;
  }

  /** Like UpdateAccountPasswordPolicy: omitted fields take their defaults. */
  async put(auth: AuthContext, accountId: string, input: Partial<PasswordPolicyRules>, client: ClientInfo) {
    const rules: PasswordPolicyRules = { ...DEFAULT_PASSWORD_POLICY, allowUsersToChangePassword: false, ...input };
    await this.prisma.transaction(async (tx) => {
      await this.accounts.putPasswordPolicy(tx, accountId, rules);
      await this.audit.append(tx, { chain: accountId, action: 'iam:UpdateAccountPasswordPolicy', outcome: 'success', actor: actorOf(auth), resourceArn: rootArn(accountId), client, details: { ...rules } });
    });
    return rules;
  }

  async delete(auth: AuthContext, accountId: string, client: ClientInfo) {
    await this.prisma.transaction(async (tx) => {
      if (!(await this.accounts.deletePasswordPolicy(tx, accountId))) throw DomainError.noSuchEntity(`The Password Policy with domain name ${accountId}`);
      await this.audit.append(tx, { chain: accountId, action: 'iam:DeleteAccountPasswordPolicy', outcome: 'success', actor: actorOf(auth), resourceArn: rootArn(accountId), client });
    });
  }
}
