import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../db/prisma.service.js';
import type { AccessKeyStatus, Group, PrincipalType, Role, User } from '../../generated/prisma/client.js';

/** Access-key metadata: every column but the secret. */
export interface AccessKeyMetaRow {
  id: string;
  accountId: string;
  userId: string;
  status: AccessKeyStatus;
  upstream: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  lastUsedService: string | null;
  lastUsedAction: string | null;
  lastUsedRegion: string | null;
}

const KEY_META_SELECT = {
  id: true,
  accountId: true,
  userId: true,
  status: true,
  upstream: true,
  createdAt: true,
  lastUsedAt: true,
  lastUsedService: true,
  lastUsedAction: true,
  lastUsedRegion: true,
} as const;

/**
 * Batched reads behind the GraphQL relations (a user's groups, keys and
 * policies, a key's user, a record's actor): one query per relation and
 * request, whatever the number of parents. Every method takes the account ID.
 */
@Injectable()
export class GraphReadRepository {
  constructor(private readonly prisma: PrismaService) {}

  usersByIds(accountId: string, ids: readonly string[]): Promise<User[]> {
    return this.prisma.user.findMany({ where: { accountId, id: { in: [...ids] } } });
  }

  usersByNames(accountId: string, namesLower: readonly string[]): Promise<User[]> {
    return this.prisma.user.findMany({ where: { accountId, kind: 'IAM', nameLower: { in: [...namesLower] } } });
  }

  rootUser(accountId: string): Promise<User | null> {
    return this.prisma.user.findFirst({ where: { accountId, kind: 'ROOT' } });
  }

  rolesByNames(accountId: string, namesLower: readonly string[]): Promise<Role[]> {
    return this.prisma.role.findMany({ where: { accountId, nameLower: { in: [...namesLower] } } });
  }

  async groupsOfUsers(accountId: string, userIds: readonly string[]): Promise<{ userId: string; group: Group }[]> {
    const rows = await this.prisma.groupMembership.findMany({
      where: { accountId, userId: { in: [...userIds] } },
      include: { group: true },
      orderBy: { group: { nameLower: 'asc' } },
    });
    return rows.filter((r) => r.group.accountId === accountId).map((r) => ({ userId: r.userId, group: r.group }));
  }

  keysOfUsers(accountId: string, userIds: readonly string[]): Promise<AccessKeyMetaRow[]> {
    return this.prisma.accessKey.findMany({ where: { accountId, userId: { in: [...userIds] } }, select: KEY_META_SELECT, orderBy: { createdAt: 'asc' } });
  }

  async attachments(accountId: string, principalType: PrincipalType, ids: readonly string[]): Promise<{ principalId: string; policyArn: string }[]> {
    return this.prisma.policyAttachment.findMany({
      where: { accountId, principalType, principalId: { in: [...ids] } },
      select: { principalId: true, policyArn: true },
      orderBy: { policyArn: 'asc' },
    });
  }

  /** A page of IAM users in name order (the root user is not listed; see Account). */
  listUsers(accountId: string, o: { pathPrefix?: string; after?: string; first: number }): Promise<User[]> {
    return this.prisma.user.findMany({
      where: { accountId, kind: 'IAM', ...(o.pathPrefix ? { path: { startsWith: o.pathPrefix } } : {}), ...(o.after ? { nameLower: { gt: o.after.toLowerCase() } } : {}) },
      orderBy: { nameLower: 'asc' },
      take: o.first,
    });
  }

  listGroups(accountId: string, o: { pathPrefix?: string; after?: string; first: number }): Promise<Group[]> {
    return this.prisma.group.findMany({
      where: { accountId, ...(o.pathPrefix ? { path: { startsWith: o.pathPrefix } } : {}), ...(o.after ? { nameLower: { gt: o.after.toLowerCase() } } : {}) },
      orderBy: { nameLower: 'asc' },
      take: o.first,
    });
  }

  listRoles(accountId: string, o: { pathPrefix?: string; after?: string; first: number }): Promise<Role[]> {
    return this.prisma.role.findMany({
      where: { accountId, ...(o.pathPrefix ? { path: { startsWith: o.pathPrefix } } : {}), ...(o.after ? { nameLower: { gt: o.after.toLowerCase() } } : {}) },
      orderBy: { nameLower: 'asc' },
      take: o.first,
    });
  }

  listKeys(accountId: string, o: { after?: string; first: number }): Promise<AccessKeyMetaRow[]> {
    return this.prisma.accessKey.findMany({
      where: { accountId, ...(o.after ? { id: { gt: o.after } } : {}) },
      select: KEY_META_SELECT,
      orderBy: { id: 'asc' },
      take: o.first,
    });
  }
}
