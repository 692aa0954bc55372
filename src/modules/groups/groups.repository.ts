import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { newUniqueId } from '../../common/ids.js';
import type { Group } from '../../generated/prisma/client.js';
import { IdentityPolicyCache } from '../policies/identity-policy-cache.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';
import type { UserRow } from '../users/users.repository.js';

export type GroupRow = Group;

/** Groups and memberships. Scoped by account. */
@Injectable()
export class GroupsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cache: IdentityPolicyCache,
  ) {}

  async create(tx: Tx, accountId: string, d: { name: string; path: string }): Promise<GroupRow> {
    try {
      return await tx.group.create({ data: { id: newUniqueId('AGPA'), accountId, name: d.name, nameLower: d.name.toLowerCase(), path: d.path } });
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(`Group with name ${d.name}`);
      throw e;
    }
  }

  findByName(accountId: string, name: string, db: Db = this.prisma): Promise<GroupRow | null> {
    return db.group.findUnique({ where: { accountId_nameLower: { accountId, nameLower: name.toLowerCase() } } });
  }

  list(accountId: string): Promise<GroupRow[]> {
    return this.prisma.group.findMany({ where: { accountId }, orderBy: { nameLower: 'asc' } });
  }

  async delete(tx: Tx, accountId: string, id: string): Promise<void> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    await tx.group.deleteMany({ where: { accountId, id } });
  }

  countMembers(accountId: string, groupId: string, db: Db = this.prisma): Promise<number> {
    return db.groupMembership.count({ where: { accountId, groupId } });
  }

  async addMember(tx: Tx, accountId: string, groupId: string, userId: string): Promise<void> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    await tx.groupMembership.upsert({
      where: { groupId_userId: { groupId, userId } },
      create: { accountId, groupId, userId },
      update: {},
    });
  }

  async removeMember(tx: Tx, accountId: string, groupId: string, userId: string): Promise<boolean> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    return (await tx.groupMembership.deleteMany({ where: { accountId, groupId, userId } })).count > 0;
  }

  async members(accountId: string, groupId: string): Promise<UserRow[]> {
    const rows = await this.prisma.groupMembership.findMany({ where: { accountId, groupId }, include: { user: true }, orderBy: { createdAt: 'asc' } });
    return rows.map((r) => r.user);
  }

  async groupsOfUser(accountId: string, userId: string, db: Db = this.prisma): Promise<GroupRow[]> {
    const rows = await db.groupMembership.findMany({ where: { accountId, userId }, include: { group: true } });
    return rows.map((r) => r.group);
  }
}
