import { Inject, Injectable } from '@nestjs/common';
import { SQL_DRIVER } from '../../db/database.module.js';
import type { SqlDriver } from '../../db/sql-driver.js';
import type { AccessKey, AccessKeyStatus, Account, User } from '../../generated/prisma/client.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';

export type AccessKeyRow = AccessKey;
/** What SigV4 verification needs of a key, its user and the user's account. */
export type AccessKeyForAuthentication = Pick<AccessKey, 'id' | 'accountId' | 'userId' | 'status' | 'secretCiphertext'> & {
  user: Pick<User, 'id' | 'accountId' | 'kind' | 'name' | 'path' | 'tags'> & { account: Pick<Account, 'lockRootAccessKeys'> };
};

/** Long-term access keys. Scoped by account, except the SigV4 lookup by key ID. */
@Injectable()
export class AccessKeysRepository {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
  ) {}

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

  /** Who owns a key of this account (null when the account has no such key). */
  ownerInAccount(accountId: string, id: string): Promise<{ user: Pick<User, 'kind' | 'name'> } | null> {
    return this.prisma.accessKey.findFirst({ where: { accountId, id }, select: { user: { select: { kind: true, name: true } } } });
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
   * The SigV4 lookup, by key ID alone (all a signed request names). One joined
   * query through the raw driver: every broker instance re-reads each key in
   * use about twice a second (KeyCache), so this runs often.
   */
  async findForAuthentication(id: string): Promise<AccessKeyForAuthentication | null> {
    return (await this.findManyForAuthentication([id])).get(id) ?? null;
  }

  /** `findForAuthentication` for many keys in one query (the key cache's batched refresh); unknown ids are left out. */
  async findManyForAuthentication(ids: string[]): Promise<Map<string, AccessKeyForAuthentication>> {
    const rows = await this.driver.query<{
      id: string; accountId: string; userId: string; status: AccessKey['status']; secretCiphertext: string | null;
      kind: User['kind']; name: string | null; path: string; tags: unknown; lockRootAccessKeys: boolean;
    }>(
      `SELECT k."id", k."accountId", k."userId", k."status"::text AS "status", k."secretCiphertext",
              u."kind"::text AS "kind", u."name", u."path", u."tags", a."lockRootAccessKeys"
         FROM "access_keys" k JOIN "users" u ON u."id" = k."userId" JOIN "accounts" a ON a."id" = u."accountId"
        WHERE k."id" = ANY($1::text[])`,
      [ids],
    );
    const found = new Map<string, AccessKeyForAuthentication>();
    for (const r of rows) {
      const tags = typeof r.tags === 'string' ? (JSON.parse(r.tags) as User['tags']) : (r.tags as User['tags']);
      found.set(r.id, {
        id: r.id,
        accountId: r.accountId,
        userId: r.userId,
        status: r.status,
        secretCiphertext: r.secretCiphertext,
        user: { id: r.userId, accountId: r.accountId, kind: r.kind, name: r.name, path: r.path, tags, account: { lockRootAccessKeys: r.lockRootAccessKeys } },
      });
    }
    return found;
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
