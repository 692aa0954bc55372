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

  /**
   * Revokes the token and every STS session issued with it that is still
   * unrevoked, with the sessions chained from those (role chaining), in the
   * caller's transaction. The token row is updated first, so it stays locked
   * until the transaction ends (see {@link revokedAtLocked}).
   */
  async revoke(tx: Tx, accountId: string, id: string, at: Date): Promise<{ token: boolean; sessions: string[] }> {
    const token = await tx.containerToken.updateMany({ where: { accountId, id, revokedAt: null }, data: { revokedAt: at } });
    const rows = await tx.$queryRaw<{ accessKeyId: string }[]>`
      WITH RECURSIVE tree AS (
        SELECT "accessKeyId" FROM "sts_sessions" WHERE "accountId" = ${accountId} AND "containerTokenId" = CAST(${id} AS uuid)
        UNION
        SELECT c."accessKeyId" FROM "sts_sessions" c JOIN tree t ON c."parentAccessKeyId" = t."accessKeyId" WHERE c."accountId" = ${accountId}
      )
      UPDATE "sts_sessions" s SET "revokedAt" = ${at}
      FROM tree WHERE s."accessKeyId" = tree."accessKeyId" AND s."accountId" = ${accountId} AND s."revokedAt" IS NULL
      RETURNING s."accessKeyId"`;
    return { token: token.count === 1, sessions: rows.map((r) => r.accessKeyId) };
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

  /** Whether a session issued with this token can still be handed out (not revoked by any path). */
  async isSessionLive(accountId: string, containerTokenId: string, accessKeyId: string): Promise<boolean> {
    const n = await this.prisma.stsSession.count({ where: { accountId, containerTokenId, accessKeyId, revokedAt: null, expiresAt: { gt: new Date() } } });
    return n === 1;
  }

  /** Records use; a no-op when an earlier call already recorded a time after `notBefore`. */
  async touchLastUsed(accountId: string, id: string, at: Date, notBefore: Date): Promise<void> {
    await this.prisma.containerToken.updateMany({
      where: { accountId, id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: notBefore } }] },
      data: { lastUsedAt: at },
    });
  }
}
