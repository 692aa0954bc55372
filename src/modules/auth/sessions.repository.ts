import { Injectable } from '@nestjs/common';
import type { ConsoleSession, PasswordResetToken, SignInChallenge, User } from '../../generated/prisma/client.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';

export type ConsoleSessionRow = ConsoleSession;

/**
 * Console sessions, sign-in challenges and root password-reset tokens. Only
 * SHA-256 hashes of the tokens are stored: a database read reveals none.
 */
@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async createSession(tx: Tx, d: Omit<ConsoleSession, 'id' | 'createdAt' | 'revokedAt'>): Promise<ConsoleSessionRow> {
    return tx.consoleSession.create({ data: d });
  }

  /** A live session by token hash (the token itself is the lookup key, so no account is known yet). */
  findLiveByTokenHash(tokenHash: string, now = new Date()): Promise<(ConsoleSessionRow & { user: User }) | null> {
    return this.prisma.consoleSession.findFirst({ where: { tokenHash, revokedAt: null, expiresAt: { gt: now } }, include: { user: true } });
  }

  async revoke(tx: Tx, accountId: string, id: string): Promise<void> {
    await tx.consoleSession.updateMany({ where: { accountId, id, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  /** Revokes every live session of a user (password change, deletion). */
  async revokeAllForUser(tx: Tx, accountId: string, userId: string, exceptId?: string): Promise<number> {
    const r = await tx.consoleSession.updateMany({
      where: { accountId, userId, revokedAt: null, ...(exceptId ? { id: { not: exceptId } } : {}) },
      data: { revokedAt: new Date() },
    });
    return r.count;
  }

  async createChallenge(d: Omit<SignInChallenge, 'id' | 'createdAt' | 'attempts'>): Promise<void> {
    await this.prisma.signInChallenge.create({ data: d });
  }

  findChallenge(tokenHash: string): Promise<SignInChallenge | null> {
    return this.prisma.signInChallenge.findFirst({ where: { tokenHash, expiresAt: { gt: new Date() } } });
  }

  /** Counts a wrong code; returns the new count. */
  async failChallenge(accountId: string, id: string): Promise<number> {
    const r = await this.prisma.signInChallenge.updateManyAndReturn({ where: { accountId, id }, data: { attempts: { increment: 1 } } });
    return r[0]?.attempts ?? Number.MAX_SAFE_INTEGER;
  }

  /** Deletes the challenge; false if another request already used it. */
  async consumeChallenge(db: Db, accountId: string, id: string): Promise<boolean> {
    return (await db.signInChallenge.deleteMany({ where: { accountId, id } })).count === 1;
  }

  async createResetToken(tx: Tx, d: Pick<PasswordResetToken, 'accountId' | 'userId' | 'tokenHash' | 'expiresAt'>): Promise<void> {
    await tx.passwordResetToken.create({ data: d });
  }

  findLiveResetToken(tokenHash: string): Promise<PasswordResetToken | null> {
    return this.prisma.passwordResetToken.findFirst({ where: { tokenHash, usedAt: null, expiresAt: { gt: new Date() } } });
  }

  /** Marks the token used; false if it was used concurrently. */
  async consumeResetToken(tx: Tx, accountId: string, id: string): Promise<boolean> {
    const r = await tx.passwordResetToken.updateMany({ where: { accountId, id, usedAt: null }, data: { usedAt: new Date() } });
    return r.count === 1;
  }
}
