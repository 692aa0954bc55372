import { Injectable } from '@nestjs/common';
import { groupArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { isValidGroupName } from '../../common/validation/iam-names.js';
import { PrismaService } from '../../db/prisma.service.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { PoliciesRepository } from '../policies/policies.repository.js';
import { userView } from '../users/user.views.js';
import { UsersService, validatePath } from '../users/users.service.js';
import { GroupsRepository, type GroupRow } from './groups.repository.js';

export function groupView(g: GroupRow) {
  return { groupName: g.name, groupId: g.id, arn: groupArn(g.accountId, g.path, g.name), path: g.path, createDate: g.createdAt.toISOString() };
}

/** Groups and their members. */
@Injectable()
export class GroupsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly groups: GroupsRepository,
    private readonly policies: PoliciesRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  async require(accountId: string, name: string): Promise<GroupRow> {
    const g = await this.groups.findByName(accountId, name);
    if (!g) throw DomainError.noSuchEntity(`The group with name ${name}`);
    return g;
  }

  async create(auth: AuthContext, accountId: string, input: { groupName: string; path?: string }, client: ClientInfo) {
    if (!isValidGroupName(input.groupName)) throw DomainError.validation('Group name must be 1-128 characters of letters, digits and +=,.@_-.');
    const path = input.path ?? '/';
    validatePath(path);
    const g = await this.prisma.transaction(async (tx) => {
      const g = await this.groups.create(tx, accountId, { name: input.groupName, path });
      await this.audit.append(tx, { chain: accountId, action: 'iam:CreateGroup', outcome: 'success', actor: actorOf(auth), resourceArn: groupArn(accountId, path, g.name), client });
      return g;
    });
    return groupView(g);
  }

  async list(accountId: string) {
    return { groups: (await this.groups.list(accountId)).map(groupView) };
  }

  async get(accountId: string, name: string) {
    const g = await this.require(accountId, name);
    return { group: groupView(g), users: (await this.groups.members(accountId, g.id)).map(userView) };
  }

  async delete(auth: AuthContext, accountId: string, name: string, client: ClientInfo) {
    const g = await this.require(accountId, name);
    await this.prisma.transaction(async (tx) => {
      if ((await this.groups.countMembers(accountId, g.id, tx)) > 0) throw new DomainError(ErrorCode.DeleteConflict, 'Cannot delete entity, must remove users from group first.');
      if ((await this.policies.listAttached(accountId, 'GROUP', g.id, tx)).length) throw new DomainError(ErrorCode.DeleteConflict, 'Cannot delete entity, must detach all policies first.');
      if ((await this.policies.countInline(accountId, 'GROUP', g.id, tx)) > 0) throw new DomainError(ErrorCode.DeleteConflict, 'Cannot delete entity, must delete policies first.');
      await this.groups.delete(tx, accountId, g.id);
      await this.audit.append(tx, { chain: accountId, action: 'iam:DeleteGroup', outcome: 'success', actor: actorOf(auth), resourceArn: groupArn(accountId, g.path, g.name), client });
    });
  }

  async addUser(auth: AuthContext, accountId: string, groupName: string, userName: string, client: ClientInfo) {
    const g = await this.require(accountId, groupName);
    const u = await this.users.require(accountId, userName);
    await this.prisma.transaction(async (tx) => {
      await this.groups.addMember(tx, accountId, g.id, u.id);
      await this.audit.append(tx, { chain: accountId, action: 'iam:AddUserToGroup', outcome: 'success', actor: actorOf(auth), resourceArn: groupArn(accountId, g.path, g.name), client, details: { userName: u.name } });
    });
  }

  async removeUser(auth: AuthContext, accountId: string, groupName: string, userName: string, client: ClientInfo) {
    const g = await this.require(accountId, groupName);
    const u = await this.users.require(accountId, userName);
    await this.prisma.transaction(async (tx) => {
      if (!(await this.groups.removeMember(tx, accountId, g.id, u.id))) throw DomainError.noSuchEntity(`User ${userName} in group ${groupName}`);
      await this.audit.append(tx, { chain: accountId, action: 'iam:RemoveUserFromGroup', outcome: 'success', actor: actorOf(auth), resourceArn: groupArn(accountId, g.path, g.name), client, details: { userName: u.name } });
    });
  }

  async groupsForUser(accountId: string, userName: string) {
    const u = await this.users.require(accountId, userName);
    return { groups: (await this.groups.groupsOfUser(accountId, u.id)).map(groupView) };
  }
}
