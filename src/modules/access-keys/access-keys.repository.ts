import { Injectable } from '@nestjs/common';
import type { AccessKey, AccessKeyStatus, Account, User } from '../../generated/prisma/client.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';

export type AccessKeyRow = AccessKey;
export type AccessKeyWithOwner = AccessKey & { user: User & { account: Account } };

/** Long-term access keys. Scoped by account, except the SigV4 lookup by key ID. */
@Injectable()
export class AccessKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Locks the owner's row for the rest of the transaction: concurrent creates
   * for one user queue here, so the two-key limit holds (other users proceed).
   */
  async lockOwner(tx: Tx, accountId: string, userId: string): Promise<boolean> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "users" WHERE "accountId" = ${accountId} AND "id" = ${userId} FOR UPDATE`;
    return rows.length === 1;
  }

  countForUser(accountId: string, userId: string, db: Db = this.prisma): Promise<number> {
    return db.accessKey.count({ where: { accountId, userId } });
  }

  async create(tx: Tx, d: { id: string; accountId: string; userId: string; secretCiphertext: string | null; upstream: boolean; createdAt?: Date; status?: AccessKeyStatus }): Promise<AccessKeyRow> {
    return tx.accessKey.create({ data: d });
  }

  listForUser(accountId: string, userId: string, db: Db = this.prisma): Promise<AccessKeyRow[]> {
    return db.accessKey.findMany({ where: { accountId, userId }, orderBy: { createdAt: 'asc' } });
  }

  find(accountId: string, userId: string, id: string, db: Db = this.prisma): Promise<AccessKeyRow | null> {
    return db.accessKey.findFirst({ where: { accountId, userId, id } });
  }

  /** Every key of the account with its owner (the key-age report). */
  listForAccount(accountId: string): Promise<(AccessKeyRow & { user: User })[]> {
    return this.prisma.accessKey.findMany({ where: { accountId }, include: { user: true }, orderBy: { createdAt: 'asc' } });
  }

  async setStatus(tx: Tx, accountId: string, id: string, status: AccessKeyStatus): Promise<void> {
    await tx.accessKey.updateMany({ where: { accountId, id }, data: { status, statusChangedAt: new Date() } });
  }

  async delete(tx: Tx, accountId: string, id: string): Promise<void> {
    await tx.accessKey.deleteMany({ where: { accountId, id } });
  }

  /**
   * The SigV4 lookup: the key ID is all the request tells us, so this is the
   * one read not scoped by account; the account comes from the row.
   */
  findForAuthentication(id: string): Promise<AccessKeyWithOwner | null> {
    return this.prisma.accessKey.findUnique({ where: { id }, include: { user: { include: { account: true } } } });
  }

  async recordLastUsed(id: string, at: Date, service: string, action: string, region: string): Promise<void> {
    await this.prisma.accessKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: at } }] },
      data: { lastUsedAt: at, lastUsedService: service, lastUsedAction: action.slice(0, 128), lastUsedRegion: region.slice(0, 32) },
    });
  }

  /** For master-key rotation: every stored secret, in pages. */
  async pageOfSecrets(afterId: string | null, take: number): Promise<{ id: string; secretCiphertext: string }[]> {
    const rows = await this.prisma.accessKey.findMany({
      where: { secretCiphertext: { not: null }, ...(afterId ? { id: { gt: afterId } } : {}) },
      orderBy: { id: 'asc' },
      take,
      select: { id: true, secretCiphertext: true },
    });
    return rows as { id: string; secretCiphertext: string }[];
  }

  async replaceSecret(id: string, oldCiphertext: string, newCiphertext: string): Promise<boolean> {
    const r = await this.prisma.accessKey.updateMany({ where: { id, secretCiphertext: oldCiphertext }, data: { secretCiphertext: newCiphertext } });
    return r.count === 1;
  }
}
