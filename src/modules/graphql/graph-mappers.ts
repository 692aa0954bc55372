import { groupArn, rootArn, userArn } from '../../common/arn.js';
import type { Group as GroupRow, Role as RoleRow, User as UserRow } from '../../generated/prisma/client.js';
import type { AccessKeyMetaRow } from './graph-read.repository.js';
import { AccessKeyMetadata, Group, Role, Tag, User } from './models/iam.model.js';

const tagsOf = (t: unknown): Tag[] =>
  Object.entries((t ?? {}) as Record<string, string>).map(([key, value]) => Object.assign(new Tag(), { key, value }));

/** Rows → GraphQL objects. Only the fields the models declare leave the server (no hashes, no secrets). */
export function userOf(u: UserRow): User {
  const root = u.kind === 'ROOT';
  return Object.assign(new User(), {
    internalId: u.id,
    accountId: u.accountId,
    userName: root ? 'root' : u.name!,
    userId: root ? u.accountId : u.id,
    arn: root ? rootArn(u.accountId) : userArn(u.accountId, u.path, u.name!),
    path: root ? '/' : u.path,
    kind: root ? 'Root' : 'IAM',
    createDate: u.createdAt,
    passwordLastUsed: u.passwordLastUsedAt,
    hasConsolePassword: u.passwordHash !== null,
    tags: root ? [] : tagsOf(u.tags),
  });
}

export function groupOf(g: GroupRow): Group {
  return Object.assign(new Group(), {
    internalId: g.id,
    accountId: g.accountId,
    groupName: g.name,
    groupId: g.id,
    arn: groupArn(g.accountId, g.path, g.name),
    path: g.path,
    createDate: g.createdAt,
  });
}

export function roleOf(r: RoleRow): Role {
  return Object.assign(new Role(), {
    internalId: r.id,
    accountId: r.accountId,
    roleName: r.name,
    roleId: r.id,
    arn: r.arn,
    path: r.path,
    description: r.description,
    maxSessionDuration: r.maxSessionDuration,
    assumeRolePolicyDocument: r.trustPolicy,
    awsRoleArn: r.awsRoleArn,
    tags: tagsOf(r.tags),
    createDate: r.createdAt,
  });
}

export function accessKeyOf(k: AccessKeyMetaRow): AccessKeyMetadata {
  return Object.assign(new AccessKeyMetadata(), {
    internalUserId: k.userId,
    accountId: k.accountId,
    accessKeyId: k.id,
    status: k.status,
    source: k.upstream ? 'aws' : 'broker',
    createDate: k.createdAt,
    lastUsedDate: k.lastUsedAt,
    lastUsedService: k.lastUsedService,
    lastUsedAction: k.lastUsedAction,
    lastUsedRegion: k.lastUsedRegion,
  });
}
