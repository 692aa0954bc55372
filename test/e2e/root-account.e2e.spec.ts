import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, accountWithRoot, bearer, ROOT_PASSWORD, signIn, userWithPolicies, bigintSafe, newIp } from '../support/factories.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

/** Root-only account tasks and the root "Forgot password?" flow. */
describe(`root user and account (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const requestReset = (email: string, ip = newIp()) => t.http.post('/v1/root/password-reset').set('X-Forwarded-For', ip).send({ email });
  const confirmReset = (token: string, newPassword: string) => t.http.post('/v1/root/password-reset/confirm').set('X-Forwarded-For', newIp()).send({ token, newPassword });
  const rootSignIn = (account: string, email: string, password: string) => t.http.post('/v1/signin').set('X-Forwarded-For', newIp()).send({ account, email, password });

  /** The reset token from the newest mail to `email` in the outbox. */
  async function tokenFromOutbox(email: string): Promise<string> {
    const mails = await t.prisma.outboxMail.findMany({ where: { toAddress: email.toLowerCase() }, orderBy: { createdAt: 'desc' } });
    expect(mails.length).toBeGreaterThan(0);
    const m = /cbrst_[A-Za-z0-9_-]+/.exec(mails[0].body);
    expect(m, mails[0].body).not.toBeNull();
    return m![0];
  }

  describe('root-only account tasks', () => {
    it('root renames the account', async () => {
      const a = await accountWithRoot(t);
      const name = `Renamed ${uniq()}`;
      const res = await t.http.patch(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken)).send({ name });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.name).toBe(name);
      const got = await t.http.get(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken));
      expect(got.body).toMatchObject({ accountId: a.accountId, name });
      const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'account:UpdateAccountName' } });
      expect(audit).toHaveLength(1);
      expect(audit[0].actorArn).toBe(`arn:aws:iam::${a.accountId}:root`);
    });

    it('root changes the account email with its current password; the new email signs in, the old one does not', async () => {
      const a = await accountWithRoot(t);
      const newEmail = `${uniq('new-root-')}@Example.test`;
      const url = `/v1/accounts/${a.accountId}/root/email`;

      const wrong = await t.http.put(url).set(bearer(a.rootToken)).send({ newEmail, password: 'Not-The-Passw0rd!' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('InvalidCredentials');
      expect(JSON.stringify(wrong.body)).not.toContain('Not-The-Passw0rd!');
      // Nothing changed.
      expect((await rootSignIn(a.accountId, a.rootEmail, ROOT_PASSWORD)).status).toBe(200);

      const invalid = await t.http.put(url).set(bearer(a.rootToken)).send({ newEmail: 'not-an-email', password: ROOT_PASSWORD });
      expect(invalid.status).toBe(400);

      const ok = await t.http.put(url).set(bearer(a.rootToken)).send({ newEmail, password: ROOT_PASSWORD });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toEqual({ rootEmail: newEmail.toLowerCase() });
      expect((await t.http.get(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken))).body.rootEmail).toBe(newEmail.toLowerCase());

      const viaNew = await rootSignIn(a.accountId, newEmail.toUpperCase(), ROOT_PASSWORD);
      expect(viaNew.status, JSON.stringify(viaNew.body)).toBe(200);
      const viaOld = await rootSignIn(a.accountId, a.rootEmail, ROOT_PASSWORD);
      expect(viaOld.status).toBe(401);
      expect(viaOld.body.error.code).toBe('InvalidCredentials');

      // One change, and the earlier wrong-password attempt recorded as a refusal.
      const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'account:UpdateRootEmail' }, orderBy: { seq: 'asc' } });
      expect(audit.map((r) => r.outcome)).toEqual(['denied', 'success']);
      expect(bigintSafe(audit)).not.toContain(ROOT_PASSWORD);
    });

    it("root's email cannot be changed to another account's root email", async () => {
      const a = await accountWithRoot(t);
      const b = await accountWithRoot(t);
      const res = await t.http.put(`/v1/accounts/${a.accountId}/root/email`).set(bearer(a.rootToken)).send({ newEmail: b.rootEmail, password: ROOT_PASSWORD });
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.error.code).toBe('EntityAlreadyExists');
      expect((await rootSignIn(a.accountId, a.rootEmail, ROOT_PASSWORD)).status).toBe(200);
    });

    it('root changes its password with the old one; other root sessions end', async () => {
      const a = await accountWithRoot(t);
      const other = await signIn(t, { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
      const url = `/v1/accounts/${a.accountId}/change-password`;
      const bad = await t.http.post(url).set(bearer(a.rootToken)).send({ oldPassword: 'Not-The-Passw0rd!', newPassword: 'Root-N3w-Passw0rd!' });
      expect(bad.status).toBe(401);
      const weak = await t.http.post(url).set(bearer(a.rootToken)).send({ oldPassword: ROOT_PASSWORD, newPassword: 'short' });
      expect(weak.status).toBe(400);
      expect(weak.body.error.code).toBe('PasswordPolicyViolation');

      const ok = await t.http.post(url).set(bearer(a.rootToken)).send({ oldPassword: ROOT_PASSWORD, newPassword: 'Root-N3w-Passw0rd!' });
      expect(ok.status, JSON.stringify(ok.body)).toBe(204);
      expect((await t.http.get('/v1/caller-identity').set(bearer(a.rootToken))).status).toBe(200);
      expect((await t.http.get('/v1/caller-identity').set(bearer(other))).status).toBe(401);
      expect((await rootSignIn(a.accountId, a.rootEmail, ROOT_PASSWORD)).status).toBe(401);
      expect((await rootSignIn(a.accountId, a.rootEmail, 'Root-N3w-Passw0rd!')).status).toBe(200);
    });

    it('an administrator IAM user cannot do root-only tasks', async () => {
      const a = await accountWithRoot(t);
      const admin = await userWithPolicies(t, a, [ADMIN]);
      const h = bearer(admin.token);
      for (const res of [
        await t.http.patch(`/v1/accounts/${a.accountId}`).set(h).send({ name: 'Hijacked' }),
        await t.http.patch(`/v1/accounts/${a.accountId}`).set(h).send({ requireRootMfa: false }),
        await t.http.put(`/v1/accounts/${a.accountId}/root/email`).set(h).send({ newEmail: `${uniq('evil-')}@example.test`, password: ROOT_PASSWORD }),
      ]) {
        expect(res.status, JSON.stringify(res.body)).toBe(403);
        expect(res.body.error.code).toBe('AccessDenied');
      }
      // Its own change-password changes its own password, never root's.
      const own = await t.http.post(`/v1/accounts/${a.accountId}/change-password`).set(h).send({ oldPassword: ROOT_PASSWORD, newPassword: 'Whatever-Passw0rd!' });
      expect(own.status).toBe(401);
      const acct = await t.http.get(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken));
      expect(acct.body.name).toBe('Test Co');
      expect(acct.body.rootEmail).toBe(a.rootEmail.toLowerCase());
      expect((await rootSignIn(a.accountId, a.rootEmail, ROOT_PASSWORD)).status).toBe(200);
      const denied = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, outcome: 'denied', actorArn: `arn:aws:iam::${a.accountId}:user/${admin.userName}` } });
      expect(denied.length).toBeGreaterThanOrEqual(3);
    });
  });

  describe('forgot password', () => {
    it('known and unknown emails get the same 202; the known one gets a mail with a single-use token', async () => {
      const a = await accountWithRoot(t);
      const unknown = `${uniq('nobody-')}@example.test`;
      const known = await requestReset(a.rootEmail.toUpperCase());
      const other = await requestReset(unknown);
      const junk = await requestReset('not an email');
      for (const r of [known, other, junk]) {
        expect(r.status).toBe(202);
        expect(r.body).toEqual(known.body);
      }
      expect(known.body).toEqual({ message: expect.any(String) });
      expect(await t.prisma.outboxMail.count({ where: { toAddress: unknown } })).toBe(0);
      const token = await tokenFromOutbox(a.rootEmail);
      expect(token).toMatch(/^cbrst_/);

      // The account's password policy applies to the new password; a refused one does not spend the token.
      expect((await t.http.put(`/v1/accounts/${a.accountId}/password-policy`).set(bearer(a.rootToken)).send({ minimumPasswordLength: 16, requireSymbols: true })).status).toBe(200);
      const weak = await confirmReset(token, 'Longbutnosymbols1234');
      expect(weak.status).toBe(400);
      expect(weak.body.error.code).toBe('PasswordPolicyViolation');
      expect(JSON.stringify(weak.body)).not.toContain('Longbutnosymbols1234');

      const newPassword = 'Reset-Root-Passw0rd!';
      const ok = await confirmReset(token, newPassword);
      expect(ok.status, JSON.stringify(ok.body)).toBe(204);
      // Existing sessions are revoked, the old password is gone, the new one works.
      expect((await t.http.get('/v1/caller-identity').set(bearer(a.rootToken))).status).toBe(401);
      expect((await rootSignIn(a.accountId, a.rootEmail, ROOT_PASSWORD)).status).toBe(401);
      expect((await rootSignIn(a.accountId, a.rootEmail, newPassword)).status).toBe(200);

      // Single use.
      const second = await confirmReset(token, 'Another-Root-Passw0rd!');
      expect(second.status).toBe(400);
      expect(second.body.error.code).toBe('InvalidToken');
      expect((await rootSignIn(a.accountId, a.rootEmail, newPassword)).status).toBe(200);
      const garbage = await confirmReset(`cbrst_${uniq()}`, 'Another-Root-Passw0rd!');
      expect(garbage.status).toBe(400);
      expect(garbage.body.error.code).toBe('InvalidToken');

      // The token is in no audit record, of the account or of the platform.
      const rows = await t.prisma.auditEvent.findMany({ where: { OR: [{ chain: a.accountId }, { chain: 'platform', action: { startsWith: 'signin:PasswordReset' } }] } });
      expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['signin:PasswordResetRequest', 'signin:PasswordReset']));
      const dump = bigintSafe(rows);
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(token.slice(6));
      for (const p of [newPassword, ROOT_PASSWORD, 'Longbutnosymbols1234']) expect(dump).not.toContain(p);
    });

    it('an expired reset token is refused', async () => {
      const a = await accountWithRoot(t);
      expect((await requestReset(a.rootEmail)).status).toBe(202);
      const token = await tokenFromOutbox(a.rootEmail);
      const n = await t.prisma.passwordResetToken.updateMany({ where: { accountId: a.accountId, usedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expect(n.count).toBe(1);
      const res = await confirmReset(token, 'Expired-Root-Passw0rd!');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidToken');
      expect((await t.http.get('/v1/caller-identity').set(bearer(a.rootToken))).status).toBe(200);
      expect((await rootSignIn(a.accountId, a.rootEmail, ROOT_PASSWORD)).status).toBe(200);
    });

    it('reset requests for one address are throttled, the same way whether it is known or not', async () => {
      const a = await accountWithRoot(t);
      const unknown = `${uniq('nobody-')}@example.test`;
      const run = async (email: string) => {
        const ip = newIp();
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) statuses.push((await requestReset(email, ip)).status);
        return statuses;
      };
      const k = await run(a.rootEmail);
      const u = await run(unknown);
      expect(k).toEqual(u);
      expect(k.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
      expect(k[5]).toBe(429);
      // At most 5 mails went out.
      expect(await t.prisma.outboxMail.count({ where: { toAddress: a.rootEmail.toLowerCase() } })).toBeLessThanOrEqual(5);
    });
  });
});
