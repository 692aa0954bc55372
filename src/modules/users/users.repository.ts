import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { newUniqueId } from '../../common/ids.js';
import type { User } from '../../generated/prisma/client.js';
import { matchRefs, refCandidates, type AccountRef } from '../../db/account-refs.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';

export type UserRow = User;

export interface ListPage<T> {
  items: T[];
  /** Opaque marker for the next page; absent on the last page. */
  marker?: string;
}

/** Users (root and IAM). Every method is scoped by account. */
@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  findRoot(accountId: string, db: Db = this.prisma): Promise<UserRow | null> {
    return db.user.findFirst({ where: { accountId, kind: 'ROOT' } });
  }

  /** Root users sign in by the account's email (unique across the platform). */
  findRootByEmail(accountId: string, email: string, db: Db = this.prisma): Promise<UserRow | null> {
    return db.user.findFirst({ where: { accountId, kind: 'ROOT', email: email.toLowerCase() } });
  }

  /** Only for the root "Forgot password?" flow, which is addressed by email alone. */
  findRootByEmailAnyAccount(email: string): Promise<UserRow | null> {
    return this.prisma.user.findFirst({ where: { kind: 'ROOT', email: email.toLowerCase() } });
  }

  findByName(accountId: string, name: string, db: Db = this.prisma): Promise<UserRow | null> {
    return db.user.findUnique({ where: { accountId_nameLower: { accountId, nameLower: name.toLowerCase() } } });
  }

  findById(accountId: string, id: string, db: Db = this.prisma): Promise<UserRow | null> {
    return db.user.findFirst({ where: { accountId, id } });
  }

  /** `findById` for many users of many accounts in one query, by `refKey(accountId, id)`; unknown ones are left out. */
  async findManyByIds(refs: AccountRef[]): Promise<Map<string, UserRow>> {
    if (!refs.length) return new Map();
    return matchRefs(refs, await this.prisma.user.findMany({ where: refCandidates(refs, 'id') }), (u) => u.id);
  }

  async list(accountId: string, opts: { pathPrefix?: string; marker?: string; maxItems: number }): Promise<ListPage<UserRow>> {
    const rows = await this.prisma.user.findMany({
      where: {
        accountId,
        kind: 'IAM',
        ...(opts.pathPrefix ? { path: { startsWith: opts.pathPrefix } } : {}),
        ...(opts.marker ? { nameLower: { gt: opts.marker } } : {}),
      },
      orderBy: { nameLower: 'asc' },
      take: opts.maxItems + 1,
    });
    const more = rows.length > opts.maxItems;
    const items = more ? rows.slice(0, opts.maxItems) : rows;
    return { items, marker: more ? items[items.length - 1].nameLower! : undefined };
  }

  async createRoot(tx: Tx, accountId: string, email: string, passwordHash: string): Promise<UserRow> {
    try {
      return await tx.user.create({
        data: {
          id: newUniqueId('AIDA'),
          accountId,
          kind: 'ROOT',
          email: email.toLowerCase(),
          passwordHash,
          passwordChangedAt: new Date(),
          loginProfileCreatedAt: new Date(),
        },
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists('An account with this email');
      throw e;
    }
  }

  async create(tx: Tx, accountId: string, data: { name: string; path: string; tags: Record<string, string>; awsUserName?: string }): Promise<UserRow> {
    try {
      return await tx.user.create({
        data: {
          id: newUniqueId('AIDA'),
          accountId,
          kind: 'IAM',
          name: data.name,
          nameLower: data.name.toLowerCase(),
          path: data.path,
          tags: data.tags,
          awsUserName: data.awsUserName ?? null,
        },
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(`User with name ${data.name}`);
      throw e;
    }
  }

  async update(tx: Tx, accountId: string, id: string, data: { name?: string; path?: string; email?: string; tags?: Record<string, string> }): Promise<UserRow> {
    try {
      const res = await tx.user.updateManyAndReturn({
        where: { accountId, id },
        data: {
          ...(data.name !== undefined ? { name: data.name, nameLower: data.name.toLowerCase() } : {}),
          ...(data.path !== undefined ? { path: data.path } : {}),
          ...(data.email !== undefined ? { email: data.email.toLowerCase() } : {}),
          ...(data.tags !== undefined ? { tags: data.tags } : {}),
        },
      });
      if (!res[0]) throw DomainError.noSuchEntity('The user');
      return res[0];
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(data.name ? `User with name ${data.name}` : 'An account with this email');
      throw e;
    }
  }

  async delete(tx: Tx, accountId: string, id: string): Promise<void> {
    const res = await tx.user.deleteMany({ where: { accountId, id, kind: 'IAM' } });
    if (res.count === 0) throw DomainError.noSuchEntity('The user');
  }

  /** Sets the console password, keeping the last `keep` hashes for reuse prevention. */
  async setPassword(
    tx: Tx,
    accountId: string,
    userId: string,
    hash: string,
    opts: { resetRequired: boolean; createProfile?: boolean; keepHistory: number },
  ): Promise<void> {
    const now = new Date();
    const res = await tx.user.updateMany({
      where: { accountId, id: userId },
      data: {
        passwordHash: hash,
        passwordChangedAt: now,
        passwordResetRequired: opts.resetRequired,
        ...(opts.createProfile ? { loginProfileCreatedAt: now } : {}),
      },
    });
    if (res.count === 0) throw DomainError.noSuchEntity('The user');
    await tx.passwordHistory.create({ data: { accountId, userId, passwordHash: hash } });
    const old = await tx.passwordHistory.findMany({
      where: { accountId, userId },
      orderBy: { createdAt: 'desc' },
      skip: Math.max(opts.keepHistory, 1),
      select: { id: true },
    });
    if (old.length) await tx.passwordHistory.deleteMany({ where: { id: { in: old.map((o) => o.id) } } });
  }

  async clearPassword(tx: Tx, accountId: string, userId: string): Promise<void> {
    await tx.user.updateMany({
      where: { accountId, id: userId },
      data: { passwordHash: null, passwordChangedAt: null, passwordResetRequired: false, loginProfileCreatedAt: null },
    });
  }

  async recentPasswordHashes(accountId: string, userId: string, n: number, db: Db = this.prisma): Promise<string[]> {
    const rows = await db.passwordHistory.findMany({
      where: { accountId, userId },
      orderBy: { createdAt: 'desc' },
      take: n,
      select: { passwordHash: true },
    });
    return rows.map((r) => r.passwordHash);
  }

  async setPasswordResetRequired(tx: Tx, accountId: string, userId: string, required: boolean): Promise<void> {
    await tx.user.updateMany({ where: { accountId, id: userId }, data: { passwordResetRequired: required } });
  }

  async touchPasswordUsed(accountId: string, userId: string): Promise<void> {
    await this.prisma.user.updateMany({ where: { accountId, id: userId }, data: { passwordLastUsedAt: new Date() } });
  }
}
