import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import type { Operator } from '../../generated/prisma/client.js';
import { PrismaService, type Tx } from '../../db/prisma.service.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';

/** Platform operators (not tenant data: there is no account to scope by). */
@Injectable()
export class OperatorsRepository {
  constructor(private readonly prisma: PrismaService) {}

  count(): Promise<number> {
    return this.prisma.operator.count({ where: { revokedAt: null } });
  }

  async create(tx: Tx, name: string, tokenHash: string): Promise<Operator> {
    try {
      return await tx.operator.create({ data: { name, tokenHash } });
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(`Operator ${name}`);
      throw e;
    }
  }

  findLiveByTokenHash(tokenHash: string): Promise<Operator | null> {
    return this.prisma.operator.findFirst({ where: { tokenHash, revokedAt: null } });
  }
}
