import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { newAccountId } from '../../common/ids.js';
import type { Account, PasswordPolicy } from '../../generated/prisma/client.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';
import type { PasswordPolicyRules } from '../passwords/password-rules.js';

export type AccountRow = Account;
export type AccountSettings = Pick<Account, 'requireRootMfa' | 'requireAdminMfa' | 'lockRootAccessKeys' | 'maxAccessKeyAgeDays'>;

/** Accounts and their account-wide settings. */
@Injectable()
export class AccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findById(accountId: string, db: Db = this.prisma): Promise<AccountRow | null> {
    return db.account.findUnique({ where: { id: accountId } });
  }

  /** Sign-in addresses an account by 12-digit ID or alias. */
  findByIdOrAlias(idOrAlias: string): Promise<AccountRow | null> {
    return /^\d{12}$/.test(idOrAlias)
      ? this.prisma.account.findUnique({ where: { id: idOrAlias } })
      : this.prisma.account.findUnique({ where: { alias: idOrAlias.toLowerCase() } });
  }

  list(opts: { marker?: string; maxItems: number }): Promise<AccountRow[]> {
    return this.prisma.account.findMany({
      where: opts.marker ? { id: { gt: opts.marker } } : {},
      orderBy: { id: 'asc' },
      take: opts.maxItems + 1,
    });
  }

  /** Inserts with a fresh random ID, drawing again on the (rare) collision. */
  async create(tx: Tx, data: { name: string; alias?: string; lockRootAccessKeys?: boolean }): Promise<AccountRow> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = newAccountId();
      if (await tx.account.findUnique({ where: { id }, select: { id: true } })) continue;
      try {
        return await tx.account.create({ data: { id, name: data.name, alias: data.alias ?? null, lockRootAccessKeys: data.lockRootAccessKeys ?? true } });
      } catch (e) {
        if (isUniqueViolation(e)) throw DomainError.alreadyExists(`The account alias ${data.alias}`);
        throw e;
      }
    }
    throw new Error('could not draw a free account ID');
  }

  async update(tx: Tx, accountId: string, data: Partial<{ name: string; alias: string | null; awsAccountId: string | null } & AccountSettings>): Promise<AccountRow> {
    try {
      const rows = await tx.account.updateManyAndReturn({ where: { id: accountId }, data });
      if (!rows[0]) throw DomainError.noSuchEntity('The account');
      return rows[0];
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(`The account alias ${data.alias}`);
      throw e;
    }
  }

  getPasswordPolicy(accountId: string, db: Db = this.prisma): Promise<PasswordPolicy | null> {
    return db.passwordPolicy.findUnique({ where: { accountId } });
  }

  async putPasswordPolicy(tx: Tx, accountId: string, rules: PasswordPolicyRules): Promise<void> {
    await tx.passwordPolicy.upsert({ where: { accountId }, create: { accountId, ...rules }, update: rules });
  }

  async deletePasswordPolicy(tx: Tx, accountId: string): Promise<boolean> {
    return (await tx.passwordPolicy.deleteMany({ where: { accountId } })).count > 0;
  }
}
