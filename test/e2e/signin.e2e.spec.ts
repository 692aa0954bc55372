import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/common/ids.js';
import {
  accountWithRoot,
  bearer,
  CHANGE_PASSWORD,
  createAccount,
  READ_ONLY,
  ROOT_PASSWORD,
  signIn,
  USER_PASSWORD,
  userWithPolicies,
  type TestAccount,
  bigintSafe,
  newIp,
} from '../support/factories.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

/**
 * Console sign-in over HTTP. The app trusts X-Forwarded-For so every test signs in from an address
 * of its own: failure counters are kept per address too, and on PostgreSQL test files share them.
 */
describe(`console sign-in (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const attempt = (ip: string, body: Record<string, unknown>) => t.http.post('/v1/signin').set('X-Forwarded-For', ip).send(body);
  /** The error body without the request id (which differs on every response). */
  const errorShape = (body: { error?: { requestId?: string } }) => {
    expect(body.error?.requestId).toEqual(expect.any(String));
    return { ...body, error: { ...body.error, requestId: undefined } };
  };

  async function userWithPassword(a: TestAccount, name = uniq('u-')): Promise<string> {
    const h = bearer(a.rootToken);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: name })).status).toBe(201);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users/${name}/login-profile`).set(h).send({ password: USER_PASSWORD })).status).toBe(201);
    return name;
  }

  describe('who can sign in', () => {
    it('root signs in by account ID or alias with its email in any case', async () => {
      const a = await createAccount(t);
      for (const account of [a.accountId, a.alias, a.alias.toUpperCase()]) {
        for (const email of [a.rootEmail, a.rootEmail.toUpperCase()]) {
          const res = await attempt(newIp(), { account, email, password: ROOT_PASSWORD });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body).toMatchObject({ status: 'SIGNED_IN', accountId: a.accountId, arn: `arn:aws:iam::${a.accountId}:root`, mfaAuthenticated: false, restriction: null });
          expect(res.body.sessionToken).toMatch(/^cbs_/);
          expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
          const who = await t.http.get('/v1/caller-identity').set(bearer(res.body.sessionToken));
          expect(who.body).toEqual({ account: a.accountId, arn: `arn:aws:iam::${a.accountId}:root`, userId: a.accountId });
        }
      }
    });

    it('IAM users sign in by user name, with the account ID or the alias', async () => {
      const a = await accountWithRoot(t);
      const name = await userWithPassword(a);
      for (const account of [a.accountId, a.alias]) {
        const res = await attempt(newIp(), { account, userName: name, password: USER_PASSWORD });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body).toMatchObject({ status: 'SIGNED_IN', accountId: a.accountId, arn: `arn:aws:iam::${a.accountId}:user/${name}` });
        const who = await t.http.get('/v1/caller-identity').set(bearer(res.body.sessionToken));
        expect(who.status).toBe(200);
        expect(who.body.arn).toBe(`arn:aws:iam::${a.accountId}:user/${name}`);
        expect(who.body.userId).toMatch(/^AIDA/);
      }
    });
  });

  describe('every miss looks the same', () => {
    it('unknown account, unknown user, wrong password, no login profile and the wrong kind of name all give one 401', async () => {
      const a = await accountWithRoot(t);
      const name = await userWithPassword(a);
      const noProfile = uniq('nolp-');
      expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: noProfile })).status).toBe(201);
      let unknownId: string;
      do unknownId = String(randomInt(100_000_000_000, 1_000_000_000_000));
      while (unknownId === a.accountId);

      const cases: Record<string, Record<string, unknown>> = {
        'unknown account ID': { account: unknownId, email: a.rootEmail, password: ROOT_PASSWORD },
        'unknown alias': { account: uniq('nope-'), userName: name, password: USER_PASSWORD },
        'unknown root email': { account: a.accountId, email: `${uniq('nobody-')}@example.test`, password: ROOT_PASSWORD },
        'unknown user name': { account: a.accountId, userName: uniq('ghost-'), password: USER_PASSWORD },
        'root, wrong password': { account: a.accountId, email: a.rootEmail, password: 'Wrong-Passw0rd!1' },
        'IAM user, wrong password': { account: a.accountId, userName: name, password: 'Wrong-Passw0rd!2' },
        'IAM user without a login profile': { account: a.accountId, userName: noProfile, password: USER_PASSWORD },
        'root by user name "root"': { account: a.accountId, userName: 'root', password: ROOT_PASSWORD },
        'root by its email as a user name': { account: a.accountId, userName: a.rootEmail.slice(0, 64), password: ROOT_PASSWORD },
        'IAM user by email': { account: a.accountId, email: name, password: USER_PASSWORD },
        'IAM user by an email-looking name': { account: a.accountId, email: `${name}@example.test`, password: USER_PASSWORD },
        'both email and user name': { account: a.accountId, email: a.rootEmail, userName: name, password: ROOT_PASSWORD },
        'user name in the wrong account': { account: (await createAccount(t)).accountId, userName: name, password: USER_PASSWORD },
      };
      const ip = newIp();
      const shapes: unknown[] = [];
      for (const [label, body] of Object.entries(cases)) {
        const res = await attempt(ip, body);
        expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(401);
        expect(res.body.error.code, label).toBe('InvalidCredentials');
        expect(res.headers['retry-after'], label).toBeUndefined();
        expect(JSON.stringify(res.body), label).not.toContain(String(body.password));
        shapes.push(errorShape(res.body));
      }
      expect(shapes[0]).toEqual({ error: { code: 'InvalidCredentials', message: expect.any(String), requestId: undefined } });
      for (const s of shapes) expect(s).toEqual(shapes[0]);

      // None of the misses was throttled (each principal missed once): the right passwords still work.
      await signIn(t, { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
      await signIn(t, { account: a.accountId, userName: name, password: USER_PASSWORD });
    });
  });

  describe('lockout', () => {
    it('5 failures from one address lock the principal there, even for the right password; the lock expires and a success clears the count', async () => {
      const a = await accountWithRoot(t);
      const name = await userWithPassword(a);
      const ip = newIp();
      const wrong = { account: a.accountId, userName: name, password: 'Wrong-Passw0rd!3' };
      const right = { account: a.accountId, userName: name, password: USER_PASSWORD };

      for (let i = 0; i < 5; i++) {
        const res = await attempt(ip, wrong);
        expect(res.status, `failure ${i + 1}`).toBe(401);
        expect(res.body.error.code).toBe('InvalidCredentials');
      }
      const locked = await attempt(ip, right);
      expect(locked.status, JSON.stringify(locked.body)).toBe(429);
      expect(locked.body.error.code).toBe('Throttling');
      expect(locked.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(locked.body).not.toHaveProperty('sessionToken');
      expect(JSON.stringify(locked.body)).not.toContain(USER_PASSWORD);
      // Another attempt while locked is refused the same way (and does not reach the password check).
      const again = await attempt(ip, wrong);
      expect(again.status).toBe(429);
      expect(again.body.error.code).toBe('Throttling');

      // The lock is on this principal from this address: the real user elsewhere is not locked out.
      await signIn(t, right);
      // (That success does not lift the lock of the guessing address.)
      const stillLocked = await t.prisma.signInThrottle.findMany({ where: { key: { contains: `|${ip}` }, lockedUntil: { gt: new Date() } } });
      expect(stillLocked.length).toBeGreaterThan(0);

      // Time passes: the lock runs out.
      await t.prisma.signInThrottle.updateMany({ where: { key: { contains: ip } }, data: { lockedUntil: new Date(Date.now() - 1000) } });
      const after = await attempt(ip, right);
      expect(after.status, JSON.stringify(after.body)).toBe(200);
      expect(after.body.status).toBe('SIGNED_IN');
      // The success cleared the principal's counters…
      const principalKey = `${a.accountId}:user:${name.toLowerCase()}`;
      expect(await t.prisma.signInThrottle.findMany({ where: { key: { contains: principalKey } } })).toEqual([]);
      // …so 4 more failures do not lock it.
      for (let i = 0; i < 4; i++) expect((await attempt(ip, wrong)).status).toBe(401);
      const fine = await attempt(ip, right);
      expect(fine.status, JSON.stringify(fine.body)).toBe(200);
    });

    it('an unknown user name is locked exactly like a known one (no existence oracle)', async () => {
      const a = await accountWithRoot(t);
      const known = await userWithPassword(a);
      const ghost = uniq('ghost-');
      const run = async (userName: string) => {
        const ip = newIp();
        const out: { status: number; body: unknown }[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await attempt(ip, { account: a.accountId, userName, password: 'Wrong-Passw0rd!4' });
          out.push({ status: res.status, body: errorShape(res.body) });
        }
        const locked = await attempt(ip, { account: a.accountId, userName, password: USER_PASSWORD });
        return { out, locked: { status: locked.status, code: locked.body.error?.code, retryAfter: locked.headers['retry-after'] } };
      };
      const k = await run(known);
      const u = await run(ghost);
      expect(k.out.every((r) => r.status === 401)).toBe(true);
      expect(u.out).toEqual(k.out);
      expect(k.locked).toEqual({ status: 429, code: 'Throttling', retryAfter: expect.stringMatching(/^[1-9]\d*$/) });
      expect(u.locked).toEqual({ status: 429, code: 'Throttling', retryAfter: expect.stringMatching(/^[1-9]\d*$/) });
      // A root email typed in an unknown account is throttled the same way.
      const ip = newIp();
      const unknownAccount = uniq('nope-');
      for (let i = 0; i < 5; i++) expect((await attempt(ip, { account: unknownAccount, email: 'x@example.test', password: 'Wrong-Passw0rd!5' })).status).toBe(401);
      expect((await attempt(ip, { account: unknownAccount, email: 'x@example.test', password: 'Wrong-Passw0rd!5' })).status).toBe(429);
    });
  });

  describe('audit of failures', () => {
    it('failed attempts are recorded as denied, in the account chain or the platform chain, without the password', async () => {
      const a = await accountWithRoot(t);
      const name = await userWithPassword(a);
      const ip = newIp();
      const passwords = ['Typo-Passw0rd!a', 'Typo-Passw0rd!b', 'Typo-Passw0rd!c', 'Typo-Passw0rd!d'];
      const unknownAlias = uniq('nope-');
      expect((await attempt(ip, { account: a.accountId, email: a.rootEmail, password: passwords[0] })).status).toBe(401);
      expect((await attempt(ip, { account: a.accountId, userName: name, password: passwords[1] })).status).toBe(401);
      expect((await attempt(ip, { account: a.accountId, userName: uniq('ghost-'), password: passwords[2] })).status).toBe(401);
      expect((await attempt(ip, { account: unknownAlias, userName: name, password: passwords[3] })).status).toBe(401);
      // And a success, which must not carry the password either.
      expect((await attempt(ip, { account: a.accountId, userName: name, password: USER_PASSWORD })).status).toBe(200);

      const rows = await t.prisma.auditEvent.findMany({ where: { sourceIp: ip }, orderBy: { id: 'asc' } });
      const denied = rows.filter((r) => r.outcome === 'denied');
      expect(denied).toHaveLength(4);
      for (const r of denied) {
        expect(r.action).toBe('signin:ConsoleLogin');
        expect(r.errorCode).toBe('InvalidCredentials');
      }
      expect(denied.map((r) => r.chain)).toEqual([a.accountId, a.accountId, a.accountId, 'platform']);
      expect(denied[0].actorArn).toBe(`arn:aws:iam::${a.accountId}:root`);
      expect(denied[1].actorArn).toBe(`arn:aws:iam::${a.accountId}:user/${name}`);
      expect(denied[2].actorArn).toBeNull();
      expect(denied[3].actorArn).toBeNull();
      expect((denied[3].details as Record<string, unknown>).account).toBe(unknownAlias);
      expect(rows.filter((r) => r.outcome === 'success').map((r) => r.action)).toEqual(['signin:ConsoleLogin']);

      const dump = bigintSafe([...rows, ...(await t.prisma.auditEvent.findMany({ where: { chain: a.accountId } }))]);
      for (const p of [...passwords, USER_PASSWORD, ROOT_PASSWORD]) expect(dump).not.toContain(p);
    });
  });

  describe('sessions', () => {
    it('sign-out revokes the session', async () => {
      const a = await accountWithRoot(t);
      const other = await signIn(t, { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
      expect((await t.http.get('/v1/caller-identity').set(bearer(a.rootToken))).status).toBe(200);
      expect((await t.http.post('/v1/signout').set(bearer(a.rootToken))).status).toBe(204);
      const after = await t.http.get('/v1/caller-identity').set(bearer(a.rootToken));
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('MissingAuthenticationToken');
      expect((await t.http.post('/v1/signout').set(bearer(a.rootToken))).status).toBe(401);
      // Only that session.
      expect((await t.http.get('/v1/caller-identity').set(bearer(other))).status).toBe(200);
      const row = await t.prisma.consoleSession.findUnique({ where: { tokenHash: sha256Hex(a.rootToken) } });
      expect(row?.revokedAt).toBeInstanceOf(Date);
    });

    it('a garbage or unknown bearer token gets 401', async () => {
      for (const auth of ['Bearer garbage-token-123', `Bearer cbs_${uniq()}${uniq()}`, 'Bearer not a token at all', 'Basic dXNlcjpwYXNz', 'Bearer ', `Bearer ${'x'.repeat(600)}`]) {
        const res = await t.http.get('/v1/caller-identity').set('Authorization', auth);
        expect(res.status, auth).toBe(401);
        expect(res.body.error.code).toBe('MissingAuthenticationToken');
      }
      expect((await t.http.get('/v1/caller-identity')).status).toBe(401);
    });

    it('an expired session gets 401', async () => {
      const a = await accountWithRoot(t);
      expect((await t.http.get('/v1/caller-identity').set(bearer(a.rootToken))).status).toBe(200);
      const n = await t.prisma.consoleSession.updateMany({ where: { tokenHash: sha256Hex(a.rootToken) }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expect(n.count).toBe(1);
      const res = await t.http.get('/v1/caller-identity').set(bearer(a.rootToken));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('MissingAuthenticationToken');
    });
  });

  describe('passwords that must be changed', () => {
    it('passwordResetRequired (set by an administrator) restricts the session to changing the password', async () => {
      const a = await accountWithRoot(t);
      const { userName, token: before } = await userWithPolicies(t, a, [READ_ONLY, CHANGE_PASSWORD]);
      const users = `/v1/accounts/${a.accountId}/users`;
      expect((await t.http.get(users).set(bearer(before))).status).toBe(200);

      const patched = await t.http.patch(`${users}/${userName}/login-profile`).set(bearer(a.rootToken)).send({ passwordResetRequired: true });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body.passwordResetRequired).toBe(true);

      // The session already open is restricted at once…
      const refused = await t.http.get(users).set(bearer(before));
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('PasswordResetRequired');
      // …and a new sign-in says so.
      const res = await attempt(newIp(), { account: a.accountId, userName, password: USER_PASSWORD });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.restriction).toBe('password-change');
      const s = bearer(res.body.sessionToken);
      for (const [method, path] of [
        ['get', users],
        ['get', `/v1/accounts/${a.accountId}`],
        ['get', `${users}/${userName}/mfa-devices`],
        ['get', `/v1/accounts/${a.accountId}/password-policy`],
      ] as const) {
        const r = await t.http[method](path).set(s);
        expect(r.status, path).toBe(403);
        expect(r.body.error.code, path).toBe('PasswordResetRequired');
      }
      // What stays open: who am I, sign-out, change password.
      expect((await t.http.get('/v1/caller-identity').set(s)).status).toBe(200);
      const bad = await t.http.post(`/v1/accounts/${a.accountId}/change-password`).set(s).send({ oldPassword: 'Wrong-Passw0rd!6', newPassword: 'N3w-Passw0rd!q' });
      expect(bad.status).toBe(401);
      expect((await t.http.get(users).set(s)).status).toBe(403);

      const changed = await t.http.post(`/v1/accounts/${a.accountId}/change-password`).set(s).send({ oldPassword: USER_PASSWORD, newPassword: 'N3w-Passw0rd!q' });
      expect(changed.status, JSON.stringify(changed.body)).toBe(204);
      expect((await t.http.get(users).set(s)).status).toBe(200);
      expect((await t.http.get(`${users}/${userName}/login-profile`).set(bearer(a.rootToken))).body.passwordResetRequired).toBe(false);
      // Other sessions ended with the change.
      expect((await t.http.get('/v1/caller-identity').set(bearer(before))).status).toBe(401);
      const next = await attempt(newIp(), { account: a.accountId, userName, password: 'N3w-Passw0rd!q' });
      expect(next.status).toBe(200);
      expect(next.body.restriction).toBeNull();
    });

    it('a password older than maxPasswordAge restricts the session until it is changed', async () => {
      const a = await accountWithRoot(t);
      const policy = await t.http.put(`/v1/accounts/${a.accountId}/password-policy`).set(bearer(a.rootToken)).send({ maxPasswordAge: 30, allowUsersToChangePassword: true });
      expect(policy.status, JSON.stringify(policy.body)).toBe(200);
      const { userName } = await userWithPolicies(t, a, [READ_ONLY, CHANGE_PASSWORD]);
      const users = `/v1/accounts/${a.accountId}/users`;

      const aged = await t.prisma.user.updateMany({ where: { accountId: a.accountId, nameLower: userName.toLowerCase() }, data: { passwordChangedAt: new Date(Date.now() - 31 * 86_400_000) } });
      expect(aged.count).toBe(1);
      const res = await attempt(newIp(), { account: a.accountId, userName, password: USER_PASSWORD });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.restriction).toBe('password-change');
      const s = bearer(res.body.sessionToken);
      const refused = await t.http.get(users).set(s);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('PasswordResetRequired');

      // The new password must follow the policy.
      const weak = await t.http.post(`/v1/accounts/${a.accountId}/change-password`).set(s).send({ oldPassword: USER_PASSWORD, newPassword: 'short' });
      expect(weak.status).toBe(400);
      expect(weak.body.error.code).toBe('PasswordPolicyViolation');
      const changed = await t.http.post(`/v1/accounts/${a.accountId}/change-password`).set(s).send({ oldPassword: USER_PASSWORD, newPassword: 'Fresh-Passw0rd!e' });
      expect(changed.status, JSON.stringify(changed.body)).toBe(204);
      expect((await t.http.get(users).set(s)).status).toBe(200);
      const next = await attempt(newIp(), { account: a.accountId, userName, password: 'Fresh-Passw0rd!e' });
      expect(next.body.restriction).toBeNull();
    });

    it('hardExpiry: an expired password cannot sign in at all until an administrator resets it', async () => {
      const a = await accountWithRoot(t);
      expect((await t.http.put(`/v1/accounts/${a.accountId}/password-policy`).set(bearer(a.rootToken)).send({ maxPasswordAge: 30, hardExpiry: true })).status).toBe(200);
      const { userName } = await userWithPolicies(t, a, [READ_ONLY]);
      await t.prisma.user.updateMany({ where: { accountId: a.accountId, nameLower: userName.toLowerCase() }, data: { passwordChangedAt: new Date(Date.now() - 31 * 86_400_000) } });

      const res = await attempt(newIp(), { account: a.accountId, userName, password: USER_PASSWORD });
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body.error.code).toBe('PasswordResetRequired');
      expect(res.body).not.toHaveProperty('sessionToken');
      // A wrong password still gets the ordinary answer (the expiry is only revealed to the right password).
      expect((await attempt(newIp(), { account: a.accountId, userName, password: 'Wrong-Passw0rd!7' })).status).toBe(401);

      const reset = await t.http.patch(`/v1/accounts/${a.accountId}/users/${userName}/login-profile`).set(bearer(a.rootToken)).send({ password: 'Admin-Set-Passw0rd!' });
      expect(reset.status, JSON.stringify(reset.body)).toBe(200);
      const ok = await attempt(newIp(), { account: a.accountId, userName, password: 'Admin-Set-Passw0rd!' });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.status).toBe('SIGNED_IN');
    });
  });
});
