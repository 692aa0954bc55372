import { Injectable } from '@nestjs/common';
import type { ContainerToken } from '../../generated/prisma/client.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';

export type ContainerTokenRow = ContainerToken;

export interface NewContainerToken {
  accountId: string;
  name: string;
  tokenHash: string;
  userId: string;
  roleArn: string;
  sessionPolicy: string | null;
  policyArns: string[];
  durationSeconds: number;
  expiresAt: Date | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Container-credentials tokens. Scoped by account, except the lookup by token
 * hash: the token is all the endpoint's caller presents, and the account comes
 * from the row.
 */
@Injectable()
export class ContainerTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(tx: Tx, d: NewContainerToken): Promise<ContainerTokenRow> {
    return tx.containerToken.create({ data: d });
  }

  listForAccount(accountId: string, db: Db = this.prisma): Promise<ContainerTokenRow[]> {
    return db.containerToken.findMany({ where: { accountId }, orderBy: { createdAt: 'asc' } });
  }

  /** An id that is not a UUID names no token (and must not reach the uuid column as a cast error). */
  find(accountId: string, id: string, db: Db = this.prisma): Promise<ContainerTokenRow | null> {
    if (!UUID_RE.test(id)) return Promise.resolve(null);
    return db.containerToken.findFirst({ where: { accountId, id } });
  }

  /** The endpoint's lookup: by the SHA-256 of the presented token. */
  findByTokenHash(tokenHash: string): Promise<ContainerTokenRow | null> {
    return this.prisma.containerToken.findUnique({ where: { tokenHash } });
  }

  /** Marks the token revoked; false when it already was (its sessions are the STS repository's to revoke). */
  async revoke(tx: Tx, accountId: string, id: string, at: Date): Promise<boolean> {
    return (await tx.containerToken.updateMany({ where: { accountId, id, revokedAt: null }, data: { revokedAt: at } })).count === 1;
  }


  /**
   * The token's revocation time, read after waiting for any revocation in
   * progress to commit (FOR SHARE): a session minted while the token was being
   * revoked is then either seen by the revocation or sees it. undefined = no such token.
   */
  async revokedAtLocked(accountId: string, id: string): Promise<Date | null | undefined> {
    const rows = await this.prisma.$queryRaw<{ revokedAt: Date | null }[]>`
      SELECT "revokedAt" FROM "container_tokens" WHERE "accountId" = ${accountId} AND "id" = CAST(${id} AS uuid) FOR SHARE`;
    return rows.length ? rows[0]!.revokedAt : undefined;
  }

  /** Records use; a no-op when an earlier call already recorded a time after `notBefore`. */
  async touchLastUsed(accountId: string, id: string, at: Date, notBefore: Date): Promise<void> {
    await this.prisma.containerToken.updateMany({
      where: { accountId, id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: notBefore } }] },
      data: { lastUsedAt: at },
    });
  }
}
