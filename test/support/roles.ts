import { expect } from 'vitest';
import { bearer, type TestAccount } from './factories.js';
import { uniq, type TestApp } from './test-app.js';

/** The body of a role as the REST API returns it. */
export interface RoleBody {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  description: string | null;
  maxSessionDuration: number;
  assumeRolePolicyDocument: Record<string, unknown>;
  claimMapping: { sessionTags?: Record<string, string>; sourceIdentity?: string };
  awsRoleArn: string | null;
  tags: { key: string; value: string }[];
  createDate: string;
}

export interface CreateRoleInput {
  roleName: string;
  path: string;
  description: string;
  maxSessionDuration: number;
  assumeRolePolicyDocument: Record<string, unknown> | string;
  tags: Record<string, string> | { Key: string; Value: string }[];
  claimMapping: Record<string, unknown>;
  awsRoleArn: string;
}

/** A trust policy letting any principal of `accountId` (subject to its own policies) assume the role. */
export const trustAccount = (accountId: string, actions: string | string[] = 'sts:AssumeRole') => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: actions }],
});

/** A trust policy letting one principal (user or role ARN) assume the role. */
export const trustPrincipal = (arn: string, actions: string | string[] = 'sts:AssumeRole') => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: arn }, Action: actions }],
});

/** Creates a role as the account's root (trusting the account itself unless overridden); returns the role's view. */
export async function createRole(t: TestApp, account: TestAccount, overrides: Partial<CreateRoleInput> = {}): Promise<RoleBody> {
  const body = { roleName: uniq('role-'), assumeRolePolicyDocument: trustAccount(account.accountId), ...overrides };
  const res = await t.http.post(`/v1/accounts/${account.accountId}/roles`).set(bearer(account.rootToken)).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as RoleBody;
}
