import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, CHANGE_PASSWORD, codeAt, createAccount, ROOT_PASSWORD, signIn, USER_PASSWORD } from '../support/factories.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

/** The README walkthrough, end to end over HTTP. */
describe(`README walkthrough (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('operator creates an account; root signs in, creates a user with change-own-password; the user enables MFA and signs in with TOTP', async () => {
    const a = await createAccount(t);
    const rootToken = await signIn(t, { account: a.alias, email: a.rootEmail.toUpperCase(), password: ROOT_PASSWORD });
    const root = bearer(rootToken);

    const who = await t.http.get('/v1/caller-identity').set(root);
    expect(who.body).toEqual({ account: a.accountId, arn: `arn:aws:iam::${a.accountId}:root`, userId: a.accountId });

    const userName = uniq('alice-');
    const created = await t.http.post(`/v1/accounts/${a.accountId}/users`).set(root).send({ userName, path: '/dev/' });
    expect(created.status).toBe(201);
    expect(created.body.arn).toBe(`arn:aws:iam::${a.accountId}:user/dev/${userName}`);
    expect(created.body.userId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users/${userName}/login-profile`).set(root).send({ password: USER_PASSWORD })).status).toBe(201);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users/${userName}/attached-policies`).set(root).send({ policyArn: CHANGE_PASSWORD })).status).toBe(204);
    // The user manages its MFA through a policy of its own (root could also do it).
    const mfaPolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iam:CreateVirtualMFADevice', 'iam:EnableMFADevice', 'iam:ListMFADevices'], Resource: 'arn:aws:iam::*:user/*/${aws:username}' }],
    };
    expect((await t.http.put(`/v1/accounts/${a.accountId}/users/${userName}/inline-policies/own-mfa`).set(root).send({ document: mfaPolicy })).status).toBe(204);

    const userToken = await signIn(t, { account: a.accountId, userName, password: USER_PASSWORD });
    const user = bearer(userToken);
    // Allowed only on itself.
    expect((await t.http.get(`/v1/accounts/${a.accountId}/users`).set(user)).status).toBe(403);

    const dev = await t.http.post(`/v1/accounts/${a.accountId}/users/${userName}/mfa-devices`).set(user).send({ deviceName: `${userName}-phone` });
    expect(dev.status, JSON.stringify(dev.body)).toBe(201);
    expect(dev.body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(dev.body.qrCodePng.length).toBeGreaterThan(100);
    const seed = dev.body.base32StringSeed as string;
    const enabled = await t.http
      .post(`/v1/accounts/${a.accountId}/users/${userName}/mfa-devices/enable`)
      .set(user)
      .send({ serialNumber: dev.body.serialNumber, authenticationCode1: codeAt(seed, -1), authenticationCode2: codeAt(seed, 0) });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(201);
    expect(enabled.body.enabled).toBe(true);
    // The seed is never shown again.
    const list = await t.http.get(`/v1/accounts/${a.accountId}/users/${userName}/mfa-devices`).set(user);
    expect(JSON.stringify(list.body)).not.toContain(seed);

    // Password, then TOTP.
    const step1 = await t.http.post('/v1/signin').send({ account: a.alias, userName, password: USER_PASSWORD });
    expect(step1.status).toBe(200);
    expect(step1.body.status).toBe('MFA_REQUIRED');
    // The code used to enable the device is spent; the next one works once.
    const reused = await t.http.post('/v1/signin/mfa').send({ challengeToken: step1.body.challengeToken, mfaCode: codeAt(seed, 0) });
    expect(reused.status).toBe(403);
    expect(reused.body.error.code).toBe('InvalidAuthenticationCode');
    const step2 = await t.http.post('/v1/signin/mfa').send({ challengeToken: step1.body.challengeToken, mfaCode: codeAt(seed, 1) });
    expect(step2.status, JSON.stringify(step2.body)).toBe(200);
    expect(step2.body.mfaAuthenticated).toBe(true);
    const mfaUser = bearer(step2.body.sessionToken);

    // Change own password with old + new.
    const changed = await t.http.post(`/v1/accounts/${a.accountId}/change-password`).set(mfaUser).send({ oldPassword: USER_PASSWORD, newPassword: 'N3w-Passw0rd!z' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(204);

    // Sign-out revokes the session.
    expect((await t.http.post('/v1/signout').set(mfaUser)).status).toBe(204);
    expect((await t.http.get('/v1/caller-identity').set(mfaUser)).status).toBe(401);

    // Everything left a record in the account's audit chain, without secrets.
    const rows = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId }, orderBy: { seq: 'asc' } });
    const actions = rows.map((r) => r.action);
    for (const act of ['account:CreateAccount', 'signin:ConsoleLogin', 'iam:CreateUser', 'iam:CreateLoginProfile', 'iam:EnableMFADevice', 'iam:ChangePassword', 'signin:SignOut']) {
      expect(actions).toContain(act);
    }
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    const dump = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const secret of [ROOT_PASSWORD, USER_PASSWORD, 'N3w-Passw0rd!z', seed, rootToken, userToken, step1.body.challengeToken]) expect(dump).not.toContain(secret);
  });
});
