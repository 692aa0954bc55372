import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountWithRoot,
  ADMIN,
  bearer,
  CHANGE_PASSWORD,
  codeAt,
  createAccount,
  MANAGE_OWN,
  READ_ONLY,
  ROOT_PASSWORD,
  signIn,
  USER_PASSWORD,
  userWithPolicies,
  type TestAccount,
} from '../support/factories.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement });
const allow = (Action: string | string[], Resource: string | string[] = '*') => doc({ Effect: 'Allow', Action, Resource });

/** Lowercase letters and digits, starting with a letter (never 12 digits). */
const aliasChars = (n: number) => 'q' + [...randomBytes(n)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('').slice(0, n - 1);

function expectError(res: Response, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error?.code, JSON.stringify(res.body)).toBe(code);
  expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
}

describe(`IAM rules (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const api = (a: TestAccount, token = a.rootToken) => {
    const h = bearer(token);
    const base = `/v1/accounts/${a.accountId}`;
    return {
      get: (p: string) => t.http.get(base + p).set(h),
      post: (p: string, body?: object) => t.http.post(base + p).set(h).send(body),
      put: (p: string, body?: object) => t.http.put(base + p).set(h).send(body),
      patch: (p: string, body?: object) => t.http.patch(base + p).set(h).send(body),
      del: (p: string, query?: Record<string, string>) => t.http.delete(base + p).set(h).query(query ?? {}),
    };
  };

  describe('account alias', () => {
    it('format: 3-63 lowercase letters, digits and single hyphens, not at either end, not a 12-digit number', async () => {
      const a = await accountWithRoot(t);
      const root = api(a);
      const valid = [aliasChars(3), (uniq('b') + 'c'.repeat(63)).slice(0, 63), `${uniq('x')}-1-2`];
      expect(valid[0]).toHaveLength(3);
      expect(valid[1]).toHaveLength(63);
      for (const alias of valid) {
        const r = await root.put('/alias', { alias });
        expect(r.status, `${alias}: ${JSON.stringify(r.body)}`).toBe(200);
        expect(r.body.alias).toBe(alias);
      }
      const current = valid[valid.length - 1];
      const invalid = ['ab', 'a'.repeat(64), 'Upper-case', `-${uniq('l')}`, `${uniq('t')}-`, 'dou--ble', 'under_score', 'dot.ted', 'sp ace', '', '123456789012', 'ünï'];
      for (const alias of invalid) {
        const r = await root.put('/alias', { alias });
        expect(r.status, `${JSON.stringify(alias)}: ${JSON.stringify(r.body)}`).toBe(400);
        expect(r.body.error.code).toBe('ValidationError');
      }
      expect((await root.get('')).body.alias).toBe(current);
      // The same rules when an operator creates an account.
      for (const alias of ['ab', 'Upper-case', '-lead', 'trail-', '123456789012']) {
        const r = await t.http.post('/v1/accounts').set(bearer(t.operatorToken)).send({ name: 'X', alias, rootEmail: `${uniq('r-')}@example.test`, rootPassword: ROOT_PASSWORD });
        expectError(r, 400, 'ValidationError');
      }
      // An 11- or 13-digit alias is not an account ID, so it is allowed.
      const digits = `9${String(Date.now()).slice(-6)}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      expect(digits).toMatch(/^\d{13}$/);
      expect((await root.put('/alias', { alias: digits })).status).toBe(200);
    });

    it('is globally unique; an account can change it and then signs in by the new one only', async () => {
      const a = await accountWithRoot(t);
      const b = await accountWithRoot(t);
      // B cannot take A's alias, with PUT or when an operator creates an account.
      expectError(await api(b).put('/alias', { alias: a.alias }), 409, 'EntityAlreadyExists');
      expect((await api(b).get('')).body.alias).toBe(b.alias);
      const taken = await t.http.post('/v1/accounts').set(bearer(t.operatorToken)).send({ name: 'Copycat', alias: a.alias, rootEmail: `${uniq('r-')}@example.test`, rootPassword: ROOT_PASSWORD });
      expectError(taken, 409, 'EntityAlreadyExists');
      // Setting the alias it already has is fine.
      expect((await api(a).put('/alias', { alias: a.alias })).status).toBe(200);

      const renamed = uniq('renamed-');
      const r = await api(a).put('/alias', { alias: renamed });
      expect(r.status).toBe(200);
      expect(r.body.alias).toBe(renamed);
      expect((await api(a).get('')).body.alias).toBe(renamed);
      const old = await t.http.post('/v1/signin').send({ account: a.alias, email: a.rootEmail, password: ROOT_PASSWORD });
      expectError(old, 401, 'InvalidCredentials');
      await signIn(t, { account: renamed, email: a.rootEmail, password: ROOT_PASSWORD });
      await signIn(t, { account: renamed.toUpperCase(), email: a.rootEmail, password: ROOT_PASSWORD });
      // The old alias is free again: B may take it.
      expect((await api(b).put('/alias', { alias: a.alias })).status).toBe(200);
      await signIn(t, { account: a.alias, email: b.rootEmail, password: ROOT_PASSWORD });

      // Deleting: then sign-in by ID only; deleting again is NoSuchEntity.
      expect((await api(a).del('/alias')).status).toBe(204);
      expect((await api(a).get('')).body.alias).toBeNull();
      expectError(await api(a).del('/alias'), 404, 'NoSuchEntity');
      expectError(await t.http.post('/v1/signin').send({ account: renamed, email: a.rootEmail, password: ROOT_PASSWORD }), 401, 'InvalidCredentials');
      await signIn(t, { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
    });
  });

  describe('account root email', () => {
    it('is unique across the platform, ignoring case, and a refused account leaves nothing behind', async () => {
      const a = await createAccount(t);
      const alias = uniq('dup-');
      for (const rootEmail of [a.rootEmail, a.rootEmail.toUpperCase()]) {
        const r = await t.http.post('/v1/accounts').set(bearer(t.operatorToken)).send({ name: 'Dup', alias, rootEmail, rootPassword: ROOT_PASSWORD });
        expectError(r, 409, 'EntityAlreadyExists');
      }
      // The refused account was rolled back: its alias is still free.
      expect(await t.prisma.account.count({ where: { alias } })).toBe(0);
      await createAccount(t, { alias });
      // Malformed addresses are refused.
      for (const rootEmail of ['not-an-email', 'a@b', 'two@@example.test', 'sp ace@example.test']) {
        const r = await t.http.post('/v1/accounts').set(bearer(t.operatorToken)).send({ name: 'Bad', rootEmail, rootPassword: ROOT_PASSWORD });
        expectError(r, 400, 'ValidationError');
      }
    });

    it('root cannot change its email to another account’s, and must confirm with its password', async () => {
      const a = await accountWithRoot(t);
      const b = await accountWithRoot(t);
      expectError(await api(b).put('/root/email', { newEmail: a.rootEmail.toUpperCase(), password: ROOT_PASSWORD }), 409, 'EntityAlreadyExists');
      expectError(await api(b).put('/root/email', { newEmail: `${uniq('n-')}@example.test`, password: 'wrong-password' }), 401, 'InvalidCredentials');
      expect((await api(b).get('')).body.rootEmail).toBe(b.rootEmail);
      const fresh = `${uniq('New-')}@Example.test`;
      const ok = await api(b).put('/root/email', { newEmail: fresh, password: ROOT_PASSWORD });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.rootEmail).toBe(fresh.toLowerCase());
      await signIn(t, { account: b.accountId, email: fresh, password: ROOT_PASSWORD });
    });
  });

  describe('user, group and policy names and paths', () => {
    let a: TestAccount;
    beforeAll(async () => {
      a = await accountWithRoot(t);
    });

    it('user names are [\\w+=,.@-]{1,64}', async () => {
      const root = api(a);
      const ok64 = (uniq('u') + 'x'.repeat(64)).slice(0, 64);
      const okChars = `${uniq('a+b=c,d.e@f_g-h')}`;
      for (const userName of [ok64, okChars, uniq('Z')]) {
        const r = await root.post('/users', { userName });
        expect(r.status, `${userName}: ${JSON.stringify(r.body)}`).toBe(201);
        expect(r.body.userName).toBe(userName);
      }
      const tooLong = (uniq('u') + 'x'.repeat(65)).slice(0, 65);
      for (const userName of [tooLong, 'bad/name', 'sp ace', 'tab\tname', '', 'ünïcode', 'semi;colon', 'quote"d', 'star*', 'hash#']) {
        expectError(await root.post('/users', { userName }), 400, 'ValidationError');
      }
      const list = await root.get('/users');
      for (const bad of ['bad/name', 'sp ace', tooLong]) expect(JSON.stringify(list.body)).not.toContain(bad);
      // Renaming follows the same rule.
      expectError(await root.patch(`/users/${okChars}`, { newUserName: 'bad/name' }), 400, 'ValidationError');
      expectError(await root.patch(`/users/${okChars}`, { newUserName: tooLong }), 400, 'ValidationError');
    });

    it('user and group names are unique in the account ignoring case', async () => {
      const root = api(a);
      const name = uniq('Carol-');
      expect((await root.post('/users', { userName: name })).status).toBe(201);
      expectError(await root.post('/users', { userName: name.toUpperCase() }), 409, 'EntityAlreadyExists');
      expectError(await root.post('/users', { userName: name.toLowerCase() }), 409, 'EntityAlreadyExists');
      // Lookups ignore case too (the stored name keeps its case).
      const got = await root.get(`/users/${name.toLowerCase()}`);
      expect(got.status).toBe(200);
      expect(got.body.userName).toBe(name);
      // Renaming onto another user's name, in another case, is refused as well.
      const other = uniq('dave-');
      expect((await root.post('/users', { userName: other })).status).toBe(201);
      expectError(await root.patch(`/users/${other}`, { newUserName: name.toUpperCase() }), 409, 'EntityAlreadyExists');
      // Changing only the case of one's own name is allowed.
      const recased = await root.patch(`/users/${other}`, { newUserName: other.toUpperCase() });
      expect(recased.status, JSON.stringify(recased.body)).toBe(200);
      expect(recased.body.userName).toBe(other.toUpperCase());

      const group = uniq('Ops-');
      expect((await root.post('/groups', { groupName: group })).status).toBe(201);
      expectError(await root.post('/groups', { groupName: group.toLowerCase() }), 409, 'EntityAlreadyExists');
      const policy = uniq('Pol-');
      expect((await root.post('/policies', { policyName: policy, document: allow('iam:ListUsers') })).status).toBe(201);
      expectError(await root.post('/policies', { policyName: policy.toUpperCase(), document: allow('iam:ListUsers') }), 409, 'EntityAlreadyExists');
    });

    it('paths are "/" or /…/ of printable ASCII, at most 512 characters', async () => {
      const root = api(a);
      const valid = ['/', '/dev/', '/a/b/c/', '///', `/${'p'.repeat(510)}/`, '/~!$&*()[]{}=+,.;:@-/'];
      for (const path of valid) {
        const u = uniq('pathy-');
        const r = await root.post('/users', { userName: u, path });
        expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(201);
        expect(r.body.path).toBe(path);
        expect(r.body.arn).toBe(`arn:aws:iam::${a.accountId}:user${path}${u}`);
      }
      const invalid = ['', 'dev', '/dev', 'dev/', '//', '/a b/', '/tab\t/', `/${'p'.repeat(511)}/`, '/ünï/'];
      for (const path of invalid) {
        const u = uniq('pathy-');
        expectError(await root.post('/users', { userName: u, path }), 400, 'ValidationError');
        expectError(await root.post('/groups', { groupName: u, path }), 400, 'ValidationError');
        expectError(await root.post('/policies', { policyName: u, path, document: allow('iam:ListUsers') }), 400, 'ValidationError');
        expect((await root.get(`/users/${u}`)).status).toBe(404);
      }
      const u = uniq('mover-');
      expect((await root.post('/users', { userName: u })).status).toBe(201);
      for (const newPath of ['dev', '/dev', '//']) expectError(await root.patch(`/users/${u}`, { newPath }), 400, 'ValidationError');
      const moved = await root.patch(`/users/${u}`, { newPath: '/moved/' });
      expect(moved.status).toBe(200);
      expect(moved.body.arn).toBe(`arn:aws:iam::${a.accountId}:user/moved/${u}`);
    });
  });

  describe('password policy', () => {
    it('validates its own fields', async () => {
      const a = await accountWithRoot(t);
      for (const body of [
        { minimumPasswordLength: 5 },
        { minimumPasswordLength: 129 },
        { minimumPasswordLength: 8.5 },
        { passwordReusePrevention: 0 },
        { passwordReusePrevention: 25 },
        { maxPasswordAge: 0 },
        { maxPasswordAge: 1096 },
        { requireSymbols: 'yes' },
      ]) {
        expectError(await api(a).put('/password-policy', body), 400, 'ValidationError');
      }
      expectError(await api(a).get('/password-policy'), 404, 'NoSuchEntity');
    });

    it('minimum length and character classes apply to new passwords, and the message never repeats the password', async () => {
      const a = await accountWithRoot(t);
      const root = api(a);
      const set = await root.put('/password-policy', {
        minimumPasswordLength: 12,
        requireSymbols: true,
        requireNumbers: true,
        requireUppercaseCharacters: true,
        requireLowercaseCharacters: true,
        allowUsersToChangePassword: true,
      });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      const got = await root.get('/password-policy');
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ minimumPasswordLength: 12, requireSymbols: true, requireNumbers: true, requireUppercaseCharacters: true, requireLowercaseCharacters: true, allowUsersToChangePassword: true });

      const u = uniq('pp-');
      expect((await root.post('/users', { userName: u })).status).toBe(201);
      for (const [password, lacks] of [
        ['Sh0rt!pass', 'at least 12 characters'],
        ['nouppercase1!xx', 'an uppercase letter'],
        ['NOLOWERCASE1!XX', 'a lowercase letter'],
        ['NoNumbers!!xxxx', 'a number'],
        ['NoSymbols1xxxxx', 'a symbol'],
      ]) {
        const r = await root.post(`/users/${u}/login-profile`, { password });
        expectError(r, 400, 'PasswordPolicyViolation');
        expect(r.body.error.message).toContain(lacks);
        expect(JSON.stringify(r.body)).not.toContain(password);
      }
      expectError(await root.get(`/users/${u}/login-profile`), 404, 'NoSuchEntity');
      expect((await root.post(`/users/${u}/login-profile`, { password: 'Valid-Passw0rd1' })).status).toBe(201);
      // The admin reset is held to the same policy.
      expectError(await root.patch(`/users/${u}/login-profile`, { password: 'short1!A' }), 400, 'PasswordPolicyViolation');
      // Deleting the policy restores the defaults (8 characters, no classes).
      expect((await root.del('/password-policy')).status).toBe(204);
      expectError(await root.del('/password-policy'), 404, 'NoSuchEntity');
      expect((await root.patch(`/users/${u}/login-profile`, { password: 'plainpassword' })).status).toBe(200);
      expectError(await root.patch(`/users/${u}/login-profile`, { password: 'seven77' }), 400, 'PasswordPolicyViolation');
    });

    it('reuse prevention refuses the last N passwords, through the administrator reset and through change-own-password', async () => {
      const a = await accountWithRoot(t);
      const root = api(a);
      expect((await root.put('/password-policy', { minimumPasswordLength: 8, passwordReusePrevention: 3, allowUsersToChangePassword: true })).status).toBe(200);
      const P = (n: number) => `Passw0rd-number-${n}`;
      const u = uniq('reuse-');
      expect((await root.post('/users', { userName: u })).status).toBe(201);
      expect((await root.post(`/users/${u}/attached-policies`, { policyArn: CHANGE_PASSWORD })).status).toBe(204);
      expect((await root.post(`/users/${u}/login-profile`, { password: P(1) })).status).toBe(201);
      const reset = (n: number) => root.patch(`/users/${u}/login-profile`, { password: P(n) });
      expect((await reset(2)).status).toBe(200);
      expect((await reset(3)).status).toBe(200);
      // History is now 3, 2, 1: all three refused.
      for (const n of [1, 2, 3]) {
        const r = await reset(n);
        expectError(r, 400, 'PasswordPolicyViolation');
        expect(JSON.stringify(r.body)).not.toContain(P(n));
      }
      expect((await reset(4)).status).toBe(200);
      // 4, 3, 2 remembered: 1 is old enough again.
      expectError(await reset(2), 400, 'PasswordPolicyViolation');
      expect((await reset(1)).status).toBe(200);

      // Remembered now: 1, 4, 3. The user changes its own password.
      const token = await signIn(t, { account: a.accountId, userName: u, password: P(1) });
      const me = api(a, token);
      for (const n of [1, 4, 3]) expectError(await me.post('/change-password', { oldPassword: P(1), newPassword: P(n) }), 400, 'PasswordPolicyViolation');
      expect((await me.post('/change-password', { oldPassword: P(1), newPassword: P(5) })).status).toBe(204);
      // Remembered: 5, 1, 4.
      expectError(await me.post('/change-password', { oldPassword: P(5), newPassword: P(4) }), 400, 'PasswordPolicyViolation');
      expect((await me.post('/change-password', { oldPassword: P(5), newPassword: P(3) })).status).toBe(204);
      await signIn(t, { account: a.accountId, userName: u, password: P(3) });
    });

    it('AllowUsersToChangePassword=false blocks change-own-password, unless an administrator required a reset', async () => {
      const a = await accountWithRoot(t);
      const root = api(a);
      expect((await root.put('/password-policy', { minimumPasswordLength: 8, allowUsersToChangePassword: false })).status).toBe(200);
      // A user with no policy of its own: only the account setting (or a required reset) lets it change its password.
      const { userName, token } = await userWithPolicies(t, a, []);
      const me = api(a, token);
      const refused = await me.post('/change-password', { oldPassword: USER_PASSWORD, newPassword: 'Brand-new-1' });
      expectError(refused, 403, 'AccessDenied');
      // The refusal is audited like any other.
      const denied = await t.prisma.auditEvent.findFirst({ where: { chain: a.accountId, action: 'iam:ChangePassword', outcome: 'denied', requestId: refused.headers['x-request-id'] } });
      expect(denied?.errorCode).toBe('AccessDenied');
      await signIn(t, { account: a.accountId, userName, password: USER_PASSWORD });

      // The administrator requires a reset: now the user may (and must) change it.
      const pr = await root.patch(`/users/${userName}/login-profile`, { passwordResetRequired: true });
      expect(pr.status).toBe(200);
      expect(pr.body.passwordResetRequired).toBe(true);
      expectError(await me.get(`/users/${userName}`), 403, 'PasswordResetRequired');
      expect((await me.post('/change-password', { oldPassword: USER_PASSWORD, newPassword: 'Brand-new-1' })).status).toBe(204);
      expect((await root.get(`/users/${userName}/login-profile`)).body.passwordResetRequired).toBe(false);
      // Once done, the setting applies again.
      expectError(await me.post('/change-password', { oldPassword: 'Brand-new-1', newPassword: 'Brand-new-2' }), 403, 'AccessDenied');

      // AllowUsersToChangePassword=true lets every user change its own password, without a policy…
      expect((await root.put('/password-policy', { minimumPasswordLength: 8, allowUsersToChangePassword: true })).status).toBe(200);
      expect((await me.post('/change-password', { oldPassword: 'Brand-new-1', newPassword: 'Brand-new-2' })).status).toBe(204);
      // …but never past an explicit Deny.
      expect((await root.put(`/users/${userName}/inline-policies/no-change`, { document: doc({ Effect: 'Deny', Action: 'iam:ChangePassword', Resource: '*' }) })).status).toBe(204);
      expectError(await me.post('/change-password', { oldPassword: 'Brand-new-2', newPassword: 'Brand-new-3' }), 403, 'AccessDenied');
      await signIn(t, { account: a.accountId, userName, password: 'Brand-new-2' });

      // As in IAM, the setting is not the only way: a user whose own policy allows iam:ChangePassword may,
      // whatever the setting says.
      expect((await root.put('/password-policy', { minimumPasswordLength: 8, allowUsersToChangePassword: false })).status).toBe(200);
      const withPolicy = await userWithPolicies(t, a, [CHANGE_PASSWORD]);
      expect((await api(a, withPolicy.token).post('/change-password', { oldPassword: USER_PASSWORD, newPassword: 'Brand-new-1' })).status).toBe(204);
      // Root is not bound by the setting either.
      expect((await root.post('/change-password', { oldPassword: ROOT_PASSWORD, newPassword: 'Root-new-Passw0rd!' })).status).toBe(204);
      await signIn(t, { account: a.accountId, email: a.rootEmail, password: 'Root-new-Passw0rd!' });
    });
  });

  describe('login profiles and deletion order', () => {
    it('creating a login profile twice is EntityAlreadyExists', async () => {
      const a = await accountWithRoot(t);
      const u = uniq('twice-');
      expect((await api(a).post('/users', { userName: u })).status).toBe(201);
      expect((await api(a).post(`/users/${u}/login-profile`, { password: USER_PASSWORD })).status).toBe(201);
      expectError(await api(a).post(`/users/${u}/login-profile`, { password: 'Another-Passw0rd' }), 409, 'EntityAlreadyExists');
      // The first password still works.
      await signIn(t, { account: a.accountId, userName: u, password: USER_PASSWORD });
    });

    it('a user is deleted only once its login profile, policies, groups and MFA devices are gone', async () => {
      const a = await accountWithRoot(t);
      const root = api(a);
      const u = uniq('leaving-');
      const g = uniq('grp-');
      expect((await root.post('/users', { userName: u })).status).toBe(201);
      expect((await root.post(`/users/${u}/login-profile`, { password: USER_PASSWORD })).status).toBe(201);
      expect((await root.post(`/users/${u}/attached-policies`, { policyArn: READ_ONLY })).status).toBe(204);
      expect((await root.put(`/users/${u}/inline-policies/own`, { document: allow('iam:ListUsers') })).status).toBe(204);
      expect((await root.post('/groups', { groupName: g })).status).toBe(201);
      expect((await root.put(`/groups/${g}/users/${u}`)).status).toBe(204);
      const dev = await root.post(`/users/${u}/mfa-devices`, { deviceName: uniq('phone-') });
      expect(dev.status).toBe(201);
      const seed = dev.body.base32StringSeed as string;
      const serialNumber = dev.body.serialNumber as string;
      expect((await root.post(`/users/${u}/mfa-devices/enable`, { serialNumber, authenticationCode1: codeAt(seed, -1), authenticationCode2: codeAt(seed, 0) })).status).toBe(201);

      const blockers = ['login profile', 'MFA devices', 'attached policies', 'inline policies', 'group memberships'];
      const steps: [string, () => Promise<Response>][] = [
        ['login profile', () => root.del(`/users/${u}/login-profile`)],
        ['attached policies', () => root.del(`/users/${u}/attached-policies`, { policyArn: READ_ONLY })],
        ['inline policies', () => root.del(`/users/${u}/inline-policies/own`)],
        ['group memberships', () => root.del(`/groups/${g}/users/${u}`)],
        ['MFA devices', async () => {
          // An enabled device cannot be deleted before it is deactivated.
          expectError(await root.del(`/users/${u}/mfa-devices`, { serialNumber }), 409, 'DeleteConflict');
          expect((await root.post(`/users/${u}/mfa-devices/deactivate`, { serialNumber })).status).toBe(204);
          // Deactivated but still there: still blocks.
          const still = await root.del(`/users/${u}`);
          expectError(still, 409, 'DeleteConflict');
          expect(still.body.error.message).toContain('MFA devices');
          return root.del(`/users/${u}/mfa-devices`, { serialNumber });
        }],
      ];
      const remaining = new Set(blockers);
      for (const [what, remove] of steps) {
        const r = await root.del(`/users/${u}`);
        expectError(r, 409, 'DeleteConflict');
        for (const b of blockers) {
          if (remaining.has(b)) expect(r.body.error.message).toContain(b);
          else expect(r.body.error.message).not.toContain(b);
        }
        expect((await root.get(`/users/${u}`)).status).toBe(200);
        const removed = await remove();
        expect(removed.status, `${what}: ${JSON.stringify(removed.body)}`).toBe(204);
        remaining.delete(what);
      }
      expect((await root.del(`/users/${u}`)).status).toBe(204);
      expectError(await root.get(`/users/${u}`), 404, 'NoSuchEntity');
      expectError(await root.del(`/users/${u}`), 404, 'NoSuchEntity');
    });

    it('a group with members or attached policies cannot be deleted', async () => {
      const a = await accountWithRoot(t);
      const root = api(a);
      const g = uniq('busy-');
      const u = uniq('member-');
      expect((await root.post('/groups', { groupName: g })).status).toBe(201);
      expect((await root.post('/users', { userName: u })).status).toBe(201);
      expect((await root.put(`/groups/${g}/users/${u}`)).status).toBe(204);
      expect((await root.post(`/groups/${g}/attached-policies`, { policyArn: READ_ONLY })).status).toBe(204);
      expectError(await root.del(`/groups/${g}`), 409, 'DeleteConflict');
      expect((await root.del(`/groups/${g}/users/${u}`)).status).toBe(204);
      expectError(await root.del(`/groups/${g}/users/${u}`), 404, 'NoSuchEntity');
      expectError(await root.del(`/groups/${g}`), 409, 'DeleteConflict');
      expect((await root.get(`/groups/${g}`)).status).toBe(200);
      expect((await root.del(`/groups/${g}/attached-policies`, { policyArn: READ_ONLY })).status).toBe(204);
      expect((await root.del(`/groups/${g}`)).status).toBe(204);
      expectError(await root.get(`/groups/${g}`), 404, 'NoSuchEntity');
      // The user is untouched.
      expect((await root.get(`/users/${u}`)).status).toBe(200);
    });

    it('a customer policy still attached cannot be deleted', async () => {
      const a = await accountWithRoot(t);
      const root = api(a);
      const p = uniq('held-');
      const u = uniq('holder-');
      const created = await root.post('/policies', { policyName: p, document: allow('iam:ListUsers') });
      expect(created.status).toBe(201);
      expect((await root.post('/users', { userName: u })).status).toBe(201);
      expect((await root.post(`/users/${u}/attached-policies`, { policyArn: created.body.arn })).status).toBe(204);
      expectError(await root.del(`/policies/${p}`), 409, 'DeleteConflict');
      expect((await root.get(`/policies/${p}`)).body.attachmentCount).toBe(1);
      expect((await root.del(`/users/${u}/attached-policies`, { policyArn: created.body.arn })).status).toBe(204);
      expect((await root.del(`/policies/${p}`)).status).toBe(204);
      expectError(await root.get(`/policies/${p}`), 404, 'NoSuchEntity');
    });
  });

  describe('policies', () => {
    let a: TestAccount;
    beforeAll(async () => {
      a = await accountWithRoot(t);
    });

    it('customer policy documents are validated: malformed → ValidationError, too long → LimitExceeded', async () => {
      const root = api(a);
      const malformed: object[] = [
        doc({ Effect: 'Maybe', Action: 'iam:ListUsers', Resource: '*' }),
        doc({ Effect: 'Allow', Resource: '*' }),
        doc({ Effect: 'Allow', Action: 'iam:ListUsers' }),
        doc({ Effect: 'Allow', Action: 'ListUsers', Resource: '*' }),
        doc({ Effect: 'Allow', Action: 42, Resource: '*' }),
        doc({ Effect: 'Allow', Action: 'iam:ListUsers', Resource: 'not-an-arn' }),
        doc({ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*', Principal: '*' }),
        doc({ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*', Condition: { StringEqulas: { 'aws:username': 'x' } } }),
        doc({ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*', Extra: true }),
        { Version: '2012-10-17' },
        { Version: '2012-10-17', Statement: [], Bogus: 1 },
        { Version: '1999-01-01', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' }] },
      ];
      for (const document of malformed) {
        const name = uniq('bad-');
        const r = await root.post('/policies', { policyName: name, document });
        expectError(r, 400, 'ValidationError');
        expect((await root.get(`/policies/${name}`)).status).toBe(404);
      }
      // Not an object at all: refused by the request validation.
      for (const document of ['{"Version":"2012-10-17"}', [allow('iam:ListUsers')], null, 7]) {
        expectError(await root.post('/policies', { policyName: uniq('bad-'), document }), 400, 'ValidationError');
      }
      // Too long: LimitExceeded (6144 characters for a managed policy, 2048 inline).
      const resources = Array.from({ length: 120 }, (_, i) => `arn:aws:iam::${a.accountId}:user/some/rather/long/path/${i}-name`);
      const big = allow('iam:GetUser', resources);
      expect(JSON.stringify(big).length).toBeGreaterThan(6144);
      const name = uniq('big-');
      expectError(await root.post('/policies', { policyName: name, document: big }), 409, 'LimitExceeded');
      expect((await root.get(`/policies/${name}`)).status).toBe(404);
      const fits = allow('iam:GetUser', resources.slice(0, 60));
      expect(JSON.stringify(fits).length).toBeLessThan(6144);
      expect(JSON.stringify(fits).length).toBeGreaterThan(2048);
      expect((await root.post('/policies', { policyName: name, document: fits })).status).toBe(201);
      expectError(await root.put(`/policies/${name}/document`, { document: big }), 409, 'LimitExceeded');
      expectError(await root.put(`/policies/${name}/document`, { document: malformed[0] }), 400, 'ValidationError');
      expect((await root.get(`/policies/${name}`)).body.document).toEqual(fits);
      // Inline documents have the smaller quota.
      const u = uniq('inl-');
      expect((await root.post('/users', { userName: u })).status).toBe(201);
      expectError(await root.put(`/users/${u}/inline-policies/big`, { document: fits }), 409, 'LimitExceeded');
      expectError(await root.put(`/users/${u}/inline-policies/bad`, { document: malformed[0] }), 400, 'ValidationError');
      expectError(await root.put(`/users/${u}/inline-policies/bad%20name`, { document: allow('iam:ListUsers') }), 400, 'ValidationError');
      expect((await root.get(`/users/${u}/inline-policies`)).body.policyNames).toEqual([]);
      // Policy names follow the IAM pattern.
      for (const policyName of ['bad/name', 'sp ace', 'x'.repeat(129)]) {
        expectError(await root.post('/policies', { policyName, document: allow('iam:ListUsers') }), 400, 'ValidationError');
      }
      // Attaching something that is not a policy of this account (or built in) is NoSuchEntity.
      for (const policyArn of [`arn:aws:iam::${a.accountId}:policy/${uniq('nope-')}`, 'arn:aws:iam::aws:policy/NotARealPolicy']) {
        expectError(await root.post(`/users/${u}/attached-policies`, { policyArn }), 404, 'NoSuchEntity');
      }
    });

    it('managed policies attached to a user or its groups take effect (and stop when removed)', async () => {
      const root = api(a);
      const g = uniq('readers-');
      const { userName, token } = await userWithPolicies(t, a, []);
      const me = api(a, token);
      expectError(await me.get('/users'), 403, 'AccessDenied');
      expect((await root.post('/groups', { groupName: g })).status).toBe(201);
      expect((await root.post(`/groups/${g}/attached-policies`, { policyArn: READ_ONLY })).status).toBe(204);
      expect((await root.put(`/groups/${g}/users/${userName}`)).status).toBe(204);
      // ReadOnlyAccess through the group: read yes, write no.
      expect((await me.get('/users')).status).toBe(200);
      expect((await me.get(`/groups/${g}`)).status).toBe(200);
      expectError(await me.post('/users', { userName: uniq('nope-') }), 403, 'AccessDenied');
      expectError(await me.post('/groups', { groupName: uniq('nope-') }), 403, 'AccessDenied');
      expect((await root.del(`/groups/${g}/users/${userName}`)).status).toBe(204);
      expectError(await me.get('/users'), 403, 'AccessDenied');

      // A customer policy attached to the user; its new document applies at once; detaching ends it.
      const p = uniq('lister-');
      const created = await root.post('/policies', { policyName: p, document: allow('iam:ListGroups') });
      expect((await root.post(`/users/${userName}/attached-policies`, { policyArn: created.body.arn })).status).toBe(204);
      expect((await me.get('/groups')).status).toBe(200);
      expectError(await me.get('/policies'), 403, 'AccessDenied');
      expect((await root.put(`/policies/${p}/document`, { document: allow('iam:ListPolicies') })).status).toBe(200);
      expectError(await me.get('/groups'), 403, 'AccessDenied');
      expect((await me.get('/policies')).status).toBe(200);
      expect((await root.del(`/users/${userName}/attached-policies`, { policyArn: created.body.arn })).status).toBe(204);
      expectError(await me.get('/policies'), 403, 'AccessDenied');

      // The same customer policy through a group (one without ReadOnlyAccess).
      const g2 = uniq('listers-');
      expect((await root.post('/groups', { groupName: g2 })).status).toBe(201);
      expect((await root.post(`/groups/${g2}/attached-policies`, { policyArn: created.body.arn })).status).toBe(204);
      expect((await root.put(`/groups/${g2}/users/${userName}`)).status).toBe(204);
      expect((await me.get('/policies')).status).toBe(200);
      expectError(await me.get('/users'), 403, 'AccessDenied');
    });

    it('an explicit Deny (inline, on the user or a group) beats AdministratorAccess', async () => {
      const root = api(a);
      const { userName, token } = await userWithPolicies(t, a, [ADMIN]);
      const me = api(a, token);
      expect((await me.post('/users', { userName: uniq('ok-') })).status).toBe(201);
      expect((await root.put(`/users/${userName}/inline-policies/no-create`, { document: doc({ Effect: 'Deny', Action: 'iam:CreateUser', Resource: '*' }) })).status).toBe(204);
      expectError(await me.post('/users', { userName: uniq('nope-') }), 403, 'AccessDenied');
      expect((await me.get('/users')).status).toBe(200);
      // Without the Deny, AdministratorAccess applies again.
      expect((await root.del(`/users/${userName}/inline-policies/no-create`)).status).toBe(204);
      expect((await me.post('/users', { userName: uniq('ok-') })).status).toBe(201);

      const g = uniq('denied-');
      expect((await root.post('/groups', { groupName: g })).status).toBe(201);
      expect((await root.put(`/groups/${g}/inline-policies/no-groups`, { document: doc({ Effect: 'Deny', Action: 'iam:*Group*', Resource: '*' }) })).status).toBe(204);
      expect((await root.put(`/groups/${g}/users/${userName}`)).status).toBe(204);
      expectError(await me.get('/groups'), 403, 'AccessDenied');
      expectError(await me.del(`/groups/${g}/users/${userName}`), 403, 'AccessDenied');
      expect((await me.get('/users')).status).toBe(200);
      // A Deny for the caller's own user only.
      expect((await root.put(`/users/${userName}/inline-policies/not-me`, { document: doc({ Effect: 'Deny', Action: 'iam:GetUser', Resource: `arn:aws:iam::${a.accountId}:user/${userName}` }) })).status).toBe(204);
      expectError(await me.get(`/users/${userName}`), 403, 'AccessDenied');
    });

    it('${aws:username}: ManageOwnCredentials works on oneself and nowhere else', async () => {
      const root = api(a);
      const other = uniq('victim-');
      expect((await root.post('/users', { userName: other })).status).toBe(201);
      expect((await root.post(`/users/${other}/login-profile`, { password: USER_PASSWORD })).status).toBe(201);
      // With and without a path in the caller's ARN.
      for (const path of ['/', '/dept/']) {
        const self = uniq('self-');
        expect((await root.post('/users', { userName: self, path })).status).toBe(201);
        expect((await root.post(`/users/${self}/login-profile`, { password: USER_PASSWORD })).status).toBe(201);
        expect((await root.post(`/users/${self}/attached-policies`, { policyArn: MANAGE_OWN })).status).toBe(204);
        const token = await signIn(t, { account: a.accountId, userName: self, password: USER_PASSWORD });
        const me = api(a, token);

        expect((await me.get(`/users/${self}`)).status).toBe(200);
        expect((await me.get(`/users/${self}/login-profile`)).status).toBe(200);
        expect((await me.get(`/users/${self}/mfa-devices`)).status).toBe(200);
        const dev = await me.post(`/users/${self}/mfa-devices`, { deviceName: uniq('mine-') });
        expect(dev.status, JSON.stringify(dev.body)).toBe(201);
        expect((await me.del(`/users/${self}/mfa-devices`, { serialNumber: dev.body.serialNumber })).status).toBe(204);

        for (const [label, res] of [
          ['GetUser', await me.get(`/users/${other}`)],
          ['GetLoginProfile', await me.get(`/users/${other}/login-profile`)],
          ['ListMFADevices', await me.get(`/users/${other}/mfa-devices`)],
          ['CreateVirtualMFADevice', await me.post(`/users/${other}/mfa-devices`, { deviceName: uniq('theirs-') })],
          ['UpdateLoginProfile', await me.patch(`/users/${other}/login-profile`, { password: 'Stolen-Passw0rd' })],
          ['ListUsers', await me.get('/users')],
        ] as const) {
          expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(403);
          expect(res.body.error.code).toBe('AccessDenied');
        }
        expect((await root.get(`/users/${other}/mfa-devices`)).body.mfaDevices).toEqual([]);
        // Its own password, yes (the default policy lets users change theirs).
        const newPassword = `${USER_PASSWORD}-2`;
        expect((await me.post('/change-password', { oldPassword: USER_PASSWORD, newPassword })).status).toBe(204);
        await signIn(t, { account: a.accountId, userName: self, password: newPassword });
      }
      await signIn(t, { account: a.accountId, userName: other, password: USER_PASSWORD });
    });

    it('at most 10 managed policies per user and per group (LimitExceeded); re-attaching one is not counted twice', async () => {
      const root = api(a);
      const arns: string[] = [];
      for (let i = 0; i < 11; i++) {
        const r = await root.post('/policies', { policyName: uniq(`q${i}-`), document: allow('iam:ListUsers') });
        expect(r.status).toBe(201);
        arns.push(r.body.arn);
      }
      const u = uniq('collector-');
      const g = uniq('collectors-');
      expect((await root.post('/users', { userName: u })).status).toBe(201);
      expect((await root.post('/groups', { groupName: g })).status).toBe(201);
      for (const owner of [`/users/${u}`, `/groups/${g}`]) {
        for (const policyArn of arns.slice(0, 10)) expect((await root.post(`${owner}/attached-policies`, { policyArn })).status).toBe(204);
        const over = await root.post(`${owner}/attached-policies`, { policyArn: arns[10] });
        expectError(over, 409, 'LimitExceeded');
        const builtin = await root.post(`${owner}/attached-policies`, { policyArn: READ_ONLY });
        expectError(builtin, 409, 'LimitExceeded');
        expect((await root.post(`${owner}/attached-policies`, { policyArn: arns[3] })).status).toBe(204);
        const list = await root.get(`${owner}/attached-policies`);
        expect(list.body.attachedPolicies).toHaveLength(10);
        expect(list.body.attachedPolicies.map((p: { policyArn: string }) => p.policyArn)).not.toContain(arns[10]);
        // Room again after a detach.
        expect((await root.del(`${owner}/attached-policies`, { policyArn: arns[0] })).status).toBe(204);
        expect((await root.post(`${owner}/attached-policies`, { policyArn: arns[10] })).status).toBe(204);
      }
    });
  });

  describe('audit of refusals', () => {
    it('every authorization denial is recorded with the actor, action, resource and request id', async () => {
      const a = await accountWithRoot(t);
      const root = api(a);
      const other = uniq('someone-');
      expect((await root.post('/users', { userName: other, path: '/x/' })).status).toBe(201);
      const { userName, token } = await userWithPolicies(t, a, [MANAGE_OWN]);
      const me = api(a, token);
      const myArn = `arn:aws:iam::${a.accountId}:user/${userName}`;
      const newName = uniq('nope-');
      const cases: [Response, string, string | null][] = [
        [await me.post('/users', { userName: newName }), 'iam:CreateUser', `arn:aws:iam::${a.accountId}:user/${newName}`],
        [await me.get(`/users/${other}`), 'iam:GetUser', `arn:aws:iam::${a.accountId}:user/x/${other}`],
        [await me.put('/password-policy', { minimumPasswordLength: 6 }), 'iam:UpdateAccountPasswordPolicy', '*'],
        [await me.patch(''), 'root-only task', null],
      ];
      for (const [res, action, resourceArn] of cases) {
        expectError(res, 403, 'AccessDenied');
        const row = await t.prisma.auditEvent.findFirst({ where: { chain: a.accountId, outcome: 'denied', requestId: res.headers['x-request-id'] } });
        expect(row, action).not.toBeNull();
        expect(row).toMatchObject({ action, resourceArn, errorCode: 'AccessDenied', actorArn: myArn, actorType: 'IAMUser' });
      }
      const denied = await t.prisma.auditEvent.count({ where: { chain: a.accountId, outcome: 'denied' } });
      expect(denied).toBeGreaterThanOrEqual(cases.length);
      // Refusals sit in the same gap-free chain as everything else.
      const seqs = (await t.prisma.auditEvent.findMany({ where: { chain: a.accountId }, orderBy: { seq: 'asc' }, select: { seq: true } })).map((r) => Number(r.seq));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    });
  });
});
