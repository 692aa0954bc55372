import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import type { MfaDevice } from '../../generated/prisma/client.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';

export type MfaDeviceRow = MfaDevice;

/** Virtual MFA devices. Scoped by account. */
@Injectable()
export class MfaRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(tx: Tx, d: { accountId: string; userId: string; name: string; serialNumber: string; seedCiphertext: string }): Promise<MfaDeviceRow> {
    try {
      return await tx.mfaDevice.create({ data: d });
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(`MFA device ${d.name}`);
      throw e;
    }
  }

  listForUser(accountId: string, userId: string, db: Db = this.prisma): Promise<MfaDeviceRow[]> {
    return db.mfaDevice.findMany({ where: { accountId, userId }, orderBy: { createdAt: 'asc' } });
  }

  findForUser(accountId: string, userId: string, serialNumber: string, db: Db = this.prisma): Promise<MfaDeviceRow | null> {
    return db.mfaDevice.findFirst({ where: { accountId, userId, serialNumber } });
  }

  hasEnabled(accountId: string, userId: string): Promise<boolean> {
    return this.prisma.mfaDevice.count({ where: { accountId, userId, enabledAt: { not: null } } }).then((n) => n > 0);
  }

  async enable(tx: Tx, accountId: string, id: string, step: number): Promise<void> {
    await tx.mfaDevice.updateMany({ where: { accountId, id }, data: { enabledAt: new Date(), lastUsedStep: BigInt(step) } });
  }

  async deactivate(tx: Tx, accountId: string, id: string): Promise<void> {
    await tx.mfaDevice.updateMany({ where: { accountId, id }, data: { enabledAt: null, lastUsedStep: null } });
  }

  async delete(tx: Tx, accountId: string, id: string): Promise<void> {
    await tx.mfaDevice.deleteMany({ where: { accountId, id } });
  }

  /** For master-key rotation: every stored seed, in pages. */
  async pageOfSeeds(afterId: string | null, take: number): Promise<{ id: string; serialNumber: string; seedCiphertext: string }[]> {
    return this.prisma.mfaDevice.findMany({
      where: afterId ? { id: { gt: afterId } } : {},
      orderBy: { id: 'asc' },
      take,
      select: { id: true, serialNumber: true, seedCiphertext: true },
    });
  }

  async replaceSeed(id: string, oldCiphertext: string, newCiphertext: string): Promise<boolean> {
    return (await this.prisma.mfaDevice.updateMany({ where: { id, seedCiphertext: oldCiphertext }, data: { seedCiphertext: newCiphertext } })).count === 1;
  }

  /**
   * Records that `step` was used, only if no step at or after it was: the
   * conditional update makes a code single-use even under concurrent sign-ins.
   */
  async consumeStep(accountId: string, id: string, step: number, db: Db = this.prisma): Promise<boolean> {
    const n = await db.$executeRaw`
      UPDATE "mfa_devices" SET "lastUsedStep" = ${BigInt(step)}
      WHERE "accountId" = ${accountId} AND "id" = ${id}::uuid AND "enabledAt" IS NOT NULL
        AND ("lastUsedStep" IS NULL OR "lastUsedStep" < ${BigInt(step)})`;
    return n === 1;
  }
}
