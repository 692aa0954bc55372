import { expect } from 'vitest';
import { bearer, type TestAccount } from './factories.js';
import type { Keys } from './sigv4-client.js';
import { uniq, type TestApp } from './test-app.js';

/** Temporary credentials from an STS response, as the SigV4 client wants them. */
export const keysOf = (body: { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }): Keys => ({
  accessKeyId: body.Credentials.AccessKeyId,
  secretAccessKey: body.Credentials.SecretAccessKey,
  sessionToken: body.Credentials.SessionToken,
});

export const policyDoc = (statements: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement: statements });
export const allow = (action: string | string[], resource: string | string[] = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action: action, Resource: resource, ...extra });

/** A trust policy letting principals of `principal` (account ID or ARN) assume the role, with optional conditions. */
export const trustPolicy = (principal: string | Record<string, unknown>, condition?: Record<string, unknown>, actions: string[] = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity']) =>
  policyDoc([{ Effect: 'Allow', Principal: typeof principal === 'string' ? { AWS: principal } : principal, Action: actions, ...(condition ? { Condition: condition } : {}) }]);

/** Creates a role as root, with managed policies attached; returns its ARN and name. */
export async function role(
  t: TestApp,
  a: TestAccount,
  trust: Record<string, unknown>,
  opts: { policies?: string[]; inline?: Record<string, unknown>; maxSessionDuration?: number; name?: string; claimMapping?: Record<string, unknown>; awsRoleArn?: string } = {},
): Promise<{ arn: string; roleName: string; roleId: string }> {
  const roleName = opts.name ?? uniq('role-');
  const h = bearer(a.rootToken);
  const res = await t.http
    .post(`/v1/accounts/${a.accountId}/roles`)
    .set(h)
    .send({ roleName, assumeRolePolicyDocument: trust, ...(opts.maxSessionDuration ? { maxSessionDuration: opts.maxSessionDuration } : {}), ...(opts.claimMapping ? { claimMapping: opts.claimMapping } : {}), ...(opts.awsRoleArn ? { awsRoleArn: opts.awsRoleArn } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  for (const arn of opts.policies ?? []) {
    expect((await t.http.post(`/v1/accounts/${a.accountId}/roles/${roleName}/attached-policies`).set(h).send({ policyArn: arn })).status).toBe(204);
  }
  if (opts.inline) {
    expect((await t.http.put(`/v1/accounts/${a.accountId}/roles/${roleName}/inline-policies/inline`).set(h).send({ document: opts.inline })).status).toBe(204);
  }
  return { arn: res.body.arn, roleName, roleId: res.body.roleId };
}

/** An IAM user with an access key and an inline policy; returns its long-term keys and ARN. */
export async function userWithKey(t: TestApp, a: TestAccount, policy?: Record<string, unknown>, name = uniq('u-')): Promise<{ userName: string; arn: string; keys: Keys }> {
  const h = bearer(a.rootToken);
  const u = await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: name });
  expect(u.status, JSON.stringify(u.body)).toBe(201);
  if (policy) expect((await t.http.put(`/v1/accounts/${a.accountId}/users/${name}/inline-policies/p`).set(h).send({ document: policy })).status).toBe(204);
  const k = await t.http.post(`/v1/accounts/${a.accountId}/users/${name}/access-keys`).set(h);
  expect(k.status, JSON.stringify(k.body)).toBe(201);
  return { userName: name, arn: u.body.arn, keys: { accessKeyId: k.body.accessKey.accessKeyId, secretAccessKey: k.body.accessKey.secretAccessKey } };
}
