import { rootArn, userArn } from '../../common/arn.js';
import type { UserRow } from './users.repository.js';

/** The API's view of a user (IAM GetUser shape); never a hash. */
export function userView(u: UserRow) {
  if (u.kind === 'ROOT') {
    return { userName: 'root', userId: u.accountId, arn: rootArn(u.accountId), path: '/', createDate: u.createdAt.toISOString() };
  }
  return {
    userName: u.name!,
    userId: u.id,
    arn: userArn(u.accountId, u.path, u.name!),
    path: u.path,
    createDate: u.createdAt.toISOString(),
    passwordLastUsed: u.passwordLastUsedAt?.toISOString() ?? null,
    awsUserName: u.awsUserName,
    tags: Object.entries((u.tags ?? {}) as Record<string, string>).map(([key, value]) => ({ key, value })),
  };
}

export function loginProfileView(u: UserRow) {
  return {
    userName: u.name ?? 'root',
    createDate: (u.loginProfileCreatedAt ?? u.createdAt).toISOString(),
    passwordResetRequired: u.passwordResetRequired,
  };
}

export function principalArnOf(u: UserRow): string {
  return u.kind === 'ROOT' ? rootArn(u.accountId) : userArn(u.accountId, u.path, u.name!);
}
