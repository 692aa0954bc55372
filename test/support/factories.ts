import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import { base32Decode } from '../../src/common/crypto/base32.js';
import { totp } from '../../src/common/crypto/totp.js';
import { uniq, type TestApp } from './test-app.js';

export const ROOT_PASSWORD = 'Root-Passw0rd!x';
export const USER_PASSWORD = 'User-Passw0rd!y';

export interface TestAccount {
  accountId: string;
  alias: string;
  rootEmail: string;
  rootToken: string;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export async function createAccount(t: TestApp, overrides: Partial<{ name: string; alias: string; rootEmail: string; rootPassword: string }> = {}): Promise<Omit<TestAccount, 'rootToken'>> {
  const body = { name: 'Test Co', alias: uniq('acct-'), rootEmail: `${uniq('root-')}@example.test`, rootPassword: ROOT_PASSWORD, ...overrides };
  const res = await t.http.post('/v1/accounts').set(bearer(t.operatorToken)).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { accountId: res.body.accountId, alias: body.alias, rootEmail: body.rootEmail };
}

export async function signIn(t: TestApp, body: Record<string, unknown>): Promise<string> {
  const res = await t.http.post('/v1/signin').send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.status).toBe('SIGNED_IN');
  return res.body.sessionToken;
}

/** An account with its root signed in. */
export async function accountWithRoot(t: TestApp): Promise<TestAccount> {
  const a = await createAccount(t);
  const rootToken = await signIn(t, { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
  return { ...a, rootToken };
}

/** Creates an IAM user with a password and the given managed policies; returns its session token. */
export async function userWithPolicies(t: TestApp, a: TestAccount, policyArns: string[], name = uniq('user-')): Promise<{ userName: string; token: string }> {
  const h = bearer(a.rootToken);
  expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: name })).status).toBe(201);
  expect((await t.http.post(`/v1/accounts/${a.accountId}/users/${name}/login-profile`).set(h).send({ password: USER_PASSWORD })).status).toBe(201);
  for (const arn of policyArns) {
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users/${name}/attached-policies`).set(h).send({ policyArn: arn })).status).toBe(204);
  }
  const token = await signIn(t, { account: a.accountId, userName: name, password: USER_PASSWORD });
  return { userName: name, token };
}

/** TOTP code for a Base32 seed at a time offset (in 30 s steps) from now. */
export const codeAt = (base32Seed: string, stepOffset = 0) => totp(base32Decode(base32Seed), Date.now() + stepOffset * 30_000);

export const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
export const CHANGE_PASSWORD = 'arn:aws:iam::aws:policy/IAMUserChangePassword';
export const MANAGE_OWN = 'arn:aws:iam::aws:policy/ManageOwnCredentials';
export const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

/**
 * A random address to send as X-Forwarded-For (apps started with TRUST_PROXY): sign-in
 * failure counters are kept per address, and on PostgreSQL test files share them.
 * Never a target: the header is only a label.
 */
export const newIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** JSON of database rows (bigint-safe), for "no secret appears anywhere" checks. */
export const bigintSafe = (rows: unknown) => JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
