import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, accountWithRoot, bearer, codeAt, READ_ONLY, ROOT_PASSWORD, USER_PASSWORD, userWithPolicies, type TestAccount, bigintSafe, newIp } from '../support/factories.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

/**
 * Virtual MFA over HTTP. Codes are computed from the seed the API returns; each test that depends on
 * the clock first waits until the current 30 s step has enough time left, so a step boundary never
 * falls between computing a code and the server checking it.
 */
describe(`virtual MFA (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const signin = (ip: string, body: Record<string, unknown>) => t.http.post('/v1/signin').set('X-Forwarded-For', ip).send(body);
  const challenge = (ip: string, challengeToken: string, mfaCode: string) => t.http.post('/v1/signin/mfa').set('X-Forwarded-For', ip).send({ challengeToken, mfaCode });
  /** Another code: one digit changed. */
  const otherThan = (code: string) => code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
  /** A 6-digit code that is none of the codes of the steps around now. */
  const wrongCode = (seed: string) => {
    const valid = new Set([-3, -2, -1, 0, 1, 2, 3].map((k) => codeAt(seed, k)));
    let c = '000000';
    while (valid.has(c)) c = String(randomInt(1_000_000)).padStart(6, '0');
    return c;
  };

  /** Waits, if needed, until at least `minLeftMs` remain in the current TOTP step. */
  async function freshStep(minLeftMs = 12_000): Promise<void> {
    const left = 30_000 - (Date.now() % 30_000);
    if (left < minLeftMs) await sleep(left + 250);
  }

  async function iamUser(a: TestAccount, name = uniq('m-')): Promise<string> {
    const h = bearer(a.rootToken);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: name })).status).toBe(201);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users/${name}/login-profile`).set(h).send({ password: USER_PASSWORD })).status).toBe(201);
    return name;
  }

  async function createDevice(token: string, base: string, deviceName = uniq('dev-')) {
    const res = await t.http.post(base).set(bearer(token)).send({ deviceName });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { serialNumber: res.body.serialNumber as string, seed: res.body.base32StringSeed as string, body: res.body };
  }

  /**
   * An IAM user with an enabled device, enabled with the codes of steps now-9 and now-8 so that the
   * codes of now-1 … now+1 are all still unused. Call freshStep() first.
   */
  async function userWithMfa(a: TestAccount) {
    const userName = await iamUser(a);
    const base = `/v1/accounts/${a.accountId}/users/${userName}/mfa-devices`;
    const d = await createDevice(a.rootToken, base);
    const en = await t.http.post(`${base}/enable`).set(bearer(a.rootToken)).send({ serialNumber: d.serialNumber, authenticationCode1: codeAt(d.seed, -9), authenticationCode2: codeAt(d.seed, -8) });
    expect(en.status, JSON.stringify(en.body)).toBe(201);
    return { userName, base, ...d, creds: { account: a.accountId, userName, password: USER_PASSWORD } };
  }

  describe('enrollment', () => {
    it('enabling needs two consecutive codes; wrong ones are refused and audited; the seed is shown only at creation', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const userName = await iamUser(a);
      const base = `/v1/accounts/${a.accountId}/users/${userName}/mfa-devices`;
      const deviceName = uniq('phone-');
      const d = await createDevice(a.rootToken, base, deviceName);
      expect(d.body).toMatchObject({ serialNumber: `arn:aws:iam::${a.accountId}:mfa/${deviceName}`, deviceName, userName, enabled: false, enableDate: null });
      expect(d.seed).toMatch(/^[A-Z2-7]{32}$/);
      expect(d.body.otpauthUri).toContain(`secret=${d.seed}`);
      expect(Buffer.from(d.body.qrCodePng, 'base64').subarray(1, 4).toString()).toBe('PNG');

      // Never again: not in listings, not in the database in clear, not in the audit trail.
      const list = await t.http.get(base).set(bearer(a.rootToken));
      expect(list.status).toBe(200);
      expect(list.body.mfaDevices).toEqual([expect.objectContaining({ serialNumber: d.serialNumber, enabled: false })]);
      expect(JSON.stringify(list.body)).not.toContain(d.seed);
      const row = await t.prisma.mfaDevice.findUnique({ where: { serialNumber: d.serialNumber } });
      expect(row?.seedCiphertext).not.toContain(d.seed);

      // A device that is not enabled does not take part in sign-in.
      const before = await signin(newIp(), { account: a.accountId, userName, password: USER_PASSWORD });
      expect(before.body.status).toBe('SIGNED_IN');

      const enable = (c1: string, c2: string) => t.http.post(`${base}/enable`).set(bearer(a.rootToken)).send({ serialNumber: d.serialNumber, authenticationCode1: c1, authenticationCode2: c2 });
      const c = (k: number) => codeAt(d.seed, k);
      for (const [c1, c2, why] of [
        [c(0), c(-1), 'reversed'],
        [c(-1), otherThan(c(0)), 'second wrong'],
        [otherThan(c(-1)), c(0), 'first wrong'],
        [c(-2), c(0), 'not consecutive'],
      ]) {
        const res = await enable(c1, c2);
        expect(res.status, why).toBe(403);
        expect(res.body.error.code, why).toBe('InvalidAuthenticationCode');
      }
      const malformed = await enable('12345', 'abcdef');
      expect(malformed.status).toBe(400);
      expect((await t.http.get(base).set(bearer(a.rootToken))).body.mfaDevices[0].enabled).toBe(false);

      const ok = await enable(c(-1), c(0));
      expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      expect(ok.body).toMatchObject({ serialNumber: d.serialNumber, enabled: true });
      expect(ok.body.enableDate).toEqual(expect.any(String));
      expect(JSON.stringify(ok.body)).not.toContain(d.seed);
      const twice = await enable(c(0), c(1));
      expect(twice.status).toBe(409);

      // Guessing pairs is throttled like sign-in codes: 5 wrong pairs lock the device's enabling.
      const other = await createDevice(a.rootToken, base);
      const enableOther = (c1: string, c2: string) => t.http.post(`${base}/enable`).set(bearer(a.rootToken)).send({ serialNumber: other.serialNumber, authenticationCode1: c1, authenticationCode2: c2 });
      for (let i = 0; i < 5; i++) expect((await enableOther('000000', '000000')).status).toBe(403);
      const locked = await enableOther(codeAt(other.seed, -1), codeAt(other.seed, 0));
      expect(locked.status).toBe(429);
      expect(locked.body.error.code).toBe('Throttling');

      const rows = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'iam:EnableMFADevice', resourceArn: d.serialNumber }, orderBy: { seq: 'asc' } });
      const denied = rows.filter((r) => r.outcome === 'denied');
      expect(denied).toHaveLength(4);
      for (const r of denied) {
        expect(r.errorCode).toBe('InvalidAuthenticationCode');
        expect(r.resourceArn).toBe(d.serialNumber);
        expect(r.actorArn).toBe(`arn:aws:iam::${a.accountId}:root`);
      }
      expect(rows.filter((r) => r.outcome === 'success')).toHaveLength(1);
      const dump = bigintSafe(await t.prisma.auditEvent.findMany({ where: { chain: a.accountId } }));
      for (const seed of [d.seed, other.seed]) expect(dump).not.toContain(seed);
    });

    it('a user has at most 8 MFA devices', async () => {
      const a = await accountWithRoot(t);
      const userName = await iamUser(a);
      const base = `/v1/accounts/${a.accountId}/users/${userName}/mfa-devices`;
      for (let i = 0; i < 8; i++) await createDevice(a.rootToken, base);
      const ninth = await t.http.post(base).set(bearer(a.rootToken)).send({ deviceName: uniq('dev-') });
      expect(ninth.status).toBe(409);
      expect(ninth.body.error.code).toBe('LimitExceeded');
      expect((await t.http.get(base).set(bearer(a.rootToken))).body.mfaDevices).toHaveLength(8);
    });

    it('an enabled device must be deactivated before it is deleted', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const u = await userWithMfa(a);
      const h = bearer(a.rootToken);
      const del = () => t.http.delete(u.base).query({ serialNumber: u.serialNumber }).set(h);

      const conflict = await del();
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.code).toBe('DeleteConflict');
      expect((await signin(newIp(), u.creds)).body.status).toBe('MFA_REQUIRED');

      expect((await t.http.post(`${u.base}/deactivate`).set(h).send({ serialNumber: u.serialNumber })).status).toBe(204);
      expect((await t.http.get(u.base).set(h)).body.mfaDevices).toEqual([expect.objectContaining({ serialNumber: u.serialNumber, enabled: false })]);
      // Deactivated: sign-in no longer asks for a code, and codes are not accepted as MFA.
      const plain = await signin(newIp(), u.creds);
      expect(plain.body).toMatchObject({ status: 'SIGNED_IN', mfaAuthenticated: false });
      expect((await t.http.post(`${u.base}/deactivate`).set(h).send({ serialNumber: u.serialNumber })).status).toBe(404);

      expect((await del()).status).toBe(204);
      expect((await t.http.get(u.base).set(h)).body.mfaDevices).toEqual([]);
      const gone = await del();
      expect(gone.status).toBe(404);
      expect(gone.body.error.code).toBe('NoSuchEntity');
      const actions = (await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, resourceArn: u.serialNumber, outcome: 'success' }, orderBy: { seq: 'asc' } })).map((r) => r.action);
      expect(actions).toEqual(['iam:CreateVirtualMFADevice', 'iam:EnableMFADevice', 'iam:DeactivateMFADevice', 'iam:DeleteVirtualMFADevice']);
    });
  });

  describe('sign-in with MFA', () => {
    it('through the challenge and with mfaCode in the sign-in body; a code never works twice; a challenge works once', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const u = await userWithMfa(a);
      const ip = newIp();

      const step1 = await signin(ip, u.creds);
      expect(step1.status).toBe(200);
      expect(step1.body).toEqual({ status: 'MFA_REQUIRED', challengeToken: expect.stringMatching(/^cbch_/), expiresAt: expect.any(String) });
      const step2 = await challenge(ip, step1.body.challengeToken, codeAt(u.seed, -1));
      expect(step2.status, JSON.stringify(step2.body)).toBe(200);
      expect(step2.body).toMatchObject({ status: 'SIGNED_IN', mfaAuthenticated: true, restriction: null, arn: `arn:aws:iam::${a.accountId}:user/${u.userName}` });
      expect((await t.http.get('/v1/caller-identity').set(bearer(step2.body.sessionToken))).status).toBe(200);

      // The challenge is spent, even with a fresh code.
      const reuse = await challenge(ip, step1.body.challengeToken, codeAt(u.seed, 0));
      expect(reuse.status).toBe(400);
      expect(reuse.body.error.code).toBe('InvalidToken');
      const bogus = await challenge(ip, `cbch_${uniq()}${uniq()}`, codeAt(u.seed, 0));
      expect(bogus.status).toBe(400);
      expect(bogus.body.error.code).toBe('InvalidToken');

      // The code just used is refused in the sign-in body; the next one works, once.
      const replay = await signin(ip, { ...u.creds, mfaCode: codeAt(u.seed, -1) });
      expect(replay.status).toBe(403);
      expect(replay.body.error.code).toBe('InvalidAuthenticationCode');
      expect(replay.body).not.toHaveProperty('sessionToken');
      const direct = await signin(ip, { ...u.creds, mfaCode: codeAt(u.seed, 0) });
      expect(direct.status, JSON.stringify(direct.body)).toBe(200);
      expect(direct.body).toMatchObject({ status: 'SIGNED_IN', mfaAuthenticated: true });
      const again = await signin(ip, { ...u.creds, mfaCode: codeAt(u.seed, 0) });
      expect(again.status).toBe(403);
      expect(again.body.error.code).toBe('InvalidAuthenticationCode');
      // A wrong password with a right code is just a wrong password.
      const wrongPw = await signin(ip, { ...u.creds, password: 'Wrong-Passw0rd!8', mfaCode: codeAt(u.seed, 1) });
      expect(wrongPw.status).toBe(401);
      expect(wrongPw.body.error.code).toBe('InvalidCredentials');

      const rows = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'signin:ConsoleLogin', actorArn: `arn:aws:iam::${a.accountId}:user/${u.userName}` }, orderBy: { seq: 'asc' } });
      expect(rows.filter((r) => r.outcome === 'success').map((r) => r.mfa)).toEqual([true, true]);
      expect(rows.filter((r) => r.errorCode === 'InvalidAuthenticationCode')).toHaveLength(2);
      const dump = bigintSafe(rows);
      for (const s of [u.seed, step1.body.challengeToken, step2.body.sessionToken, direct.body.sessionToken]) expect(dump).not.toContain(s);
    });

    it('two concurrent sign-ins with the same code: exactly one succeeds', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const u = await userWithMfa(a);

      const code = codeAt(u.seed, 0);
      const viaBody = await Promise.all([signin(newIp(), { ...u.creds, mfaCode: code }), signin(newIp(), { ...u.creds, mfaCode: code })]);
      expect(viaBody.map((r) => r.status).sort()).toEqual([200, 403]);
      expect(viaBody.filter((r) => r.body.status === 'SIGNED_IN')).toHaveLength(1);

      const [c1, c2] = await Promise.all([signin(newIp(), u.creds), signin(newIp(), u.creds)]);
      expect([c1.body.status, c2.body.status]).toEqual(['MFA_REQUIRED', 'MFA_REQUIRED']);
      const next = codeAt(u.seed, 1);
      const viaChallenge = await Promise.all([challenge(newIp(), c1.body.challengeToken, next), challenge(newIp(), c2.body.challengeToken, next)]);
      expect(viaChallenge.map((r) => r.status).sort()).toEqual([200, 403]);
      expect(viaChallenge.find((r) => r.status === 403)!.body.error.code).toBe('InvalidAuthenticationCode');
    });

    it('clock skew: the previous and next step are accepted, two steps away is refused', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const u = await userWithMfa(a);
      const ip = newIp();
      const tryCode = (k: number) => signin(ip, { ...u.creds, mfaCode: codeAt(u.seed, k) });

      for (const k of [-2, 2]) {
        const res = await tryCode(k);
        expect(res.status, `step ${k}`).toBe(403);
        expect(res.body.error.code).toBe('InvalidAuthenticationCode');
      }
      const prev = await tryCode(-1);
      expect(prev.status, JSON.stringify(prev.body)).toBe(200);
      expect(prev.body.mfaAuthenticated).toBe(true);
      const next = await tryCode(1);
      expect(next.status, JSON.stringify(next.body)).toBe(200);
      // After the next step's code, the current one is older than the last used: refused.
      expect((await tryCode(0)).status).toBe(403);
    });

    it('wrong codes are throttled: after 5, even the right code gets 429 until the lock runs out', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const u = await userWithMfa(a);
      const ip = newIp();
      const bad = wrongCode(u.seed);
      for (let i = 0; i < 5; i++) {
        const res = await signin(ip, { ...u.creds, mfaCode: bad });
        expect(res.status, `attempt ${i + 1}`).toBe(403);
        expect(res.body.error.code).toBe('InvalidAuthenticationCode');
      }
      const locked = await signin(ip, { ...u.creds, mfaCode: codeAt(u.seed, 0) });
      expect(locked.status, JSON.stringify(locked.body)).toBe(429);
      expect(locked.body.error.code).toBe('Throttling');
      expect(locked.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      // The challenge path is locked too.
      const ch = await signin(ip, u.creds);
      expect(ch.body.status).toBe('MFA_REQUIRED');
      expect((await challenge(ip, ch.body.challengeToken, codeAt(u.seed, 0))).status).toBe(429);

      // The lock runs out; the right code (never consumed while locked) works.
      const user = await t.prisma.user.findFirst({ where: { accountId: a.accountId, nameLower: u.userName.toLowerCase() } });
      const n = await t.prisma.signInThrottle.updateMany({ where: { key: { contains: user!.id }, lockedUntil: { not: null } }, data: { lockedUntil: new Date(Date.now() - 1000) } });
      expect(n.count).toBeGreaterThan(0);
      const ok = await challenge(ip, ch.body.challengeToken, codeAt(u.seed, 0));
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.mfaAuthenticated).toBe(true);
    });

    it('a challenge is useless after 5 wrong codes, and after it expires', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const u = await userWithMfa(a);
      const ip = newIp();
      const ch = await signin(ip, u.creds);
      expect(ch.body.status).toBe('MFA_REQUIRED');
      const bad = wrongCode(u.seed);
      for (let i = 0; i < 5; i++) {
        const res = await challenge(ip, ch.body.challengeToken, bad);
        expect(res.status, `attempt ${i + 1}`).toBe(403);
        expect(res.body.error.code).toBe('InvalidAuthenticationCode');
      }
      const dead = await challenge(ip, ch.body.challengeToken, codeAt(u.seed, 0));
      expect(dead.status).toBe(400);
      expect(dead.body.error.code).toBe('InvalidToken');

      // Expiry (on a fresh user, so no MFA lock is involved).
      const v = await userWithMfa(a);
      const ch2 = await signin(newIp(), v.creds);
      const user = await t.prisma.user.findFirst({ where: { accountId: a.accountId, nameLower: v.userName.toLowerCase() } });
      expect((await t.prisma.signInChallenge.updateMany({ where: { userId: user!.id }, data: { expiresAt: new Date(Date.now() - 1000) } })).count).toBe(1);
      const expired = await challenge(ip, ch2.body.challengeToken, codeAt(v.seed, 0));
      expect(expired.status).toBe(400);
      expect(expired.body.error.code).toBe('InvalidToken');
    });
  });

  describe('root MFA', () => {
    it('root manages its own devices; an administrator IAM user cannot', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const admin = await userWithPolicies(t, a, [ADMIN]);
      const base = `/v1/accounts/${a.accountId}/root/mfa-devices`;
      const h = bearer(admin.token);
      for (const res of [
        await t.http.get(base).set(h),
        await t.http.post(base).set(h).send({ deviceName: uniq('x-') }),
        await t.http.post(`${base}/enable`).set(h).send({ serialNumber: `arn:aws:iam::${a.accountId}:mfa/x-123456789`, authenticationCode1: '123456', authenticationCode2: '234567' }),
        await t.http.post(`${base}/deactivate`).set(h).send({ serialNumber: `arn:aws:iam::${a.accountId}:mfa/x-123456789` }),
        await t.http.delete(base).query({ serialNumber: `arn:aws:iam::${a.accountId}:mfa/x-123456789` }).set(h),
      ]) {
        expect(res.status, JSON.stringify(res.body)).toBe(403);
        expect(res.body.error.code).toBe('AccessDenied');
      }

      const d = await createDevice(a.rootToken, base);
      expect(d.body.userName).toBe('root');
      const en = await t.http.post(`${base}/enable`).set(bearer(a.rootToken)).send({ serialNumber: d.serialNumber, authenticationCode1: codeAt(d.seed, -1), authenticationCode2: codeAt(d.seed, 0) });
      expect(en.status, JSON.stringify(en.body)).toBe(201);
      const list = await t.http.get(base).set(bearer(a.rootToken));
      expect(list.body.mfaDevices).toEqual([expect.objectContaining({ serialNumber: d.serialNumber, enabled: true, userName: 'root' })]);
      // The admin still cannot see or touch it, nor deactivate it.
      expect((await t.http.get(base).set(h)).status).toBe(403);
      expect((await t.http.post(`${base}/deactivate`).set(h).send({ serialNumber: d.serialNumber })).status).toBe(403);

      const ip = newIp();
      const s1 = await signin(ip, { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
      expect(s1.body.status).toBe('MFA_REQUIRED');
      const s2 = await challenge(ip, s1.body.challengeToken, codeAt(d.seed, 1));
      expect(s2.status, JSON.stringify(s2.body)).toBe(200);
      expect(s2.body).toMatchObject({ arn: `arn:aws:iam::${a.accountId}:root`, mfaAuthenticated: true });
    });
  });

  describe('required MFA', () => {
    it('requireRootMfa: root without a device gets a session that can only enroll one', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const set = await t.http.patch(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken)).send({ requireRootMfa: true });
      expect(set.status, JSON.stringify(set.body)).toBe(200);

      const ip = newIp();
      const res = await signin(ip, { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ status: 'SIGNED_IN', restriction: 'mfa-enrollment', mfaAuthenticated: false });
      const s = bearer(res.body.sessionToken);
      for (const [method, path, body] of [
        ['get', `/v1/accounts/${a.accountId}/users`, undefined],
        ['post', `/v1/accounts/${a.accountId}/users`, { userName: uniq('x-') }],
        ['patch', `/v1/accounts/${a.accountId}`, { requireRootMfa: false }],
        ['get', `/v1/accounts/${a.accountId}/password-policy`, undefined],
      ] as const) {
        const r = await t.http[method](path).set(s).send(body);
        expect(r.status, path).toBe(403);
        expect(r.body.error.code, path).toBe('MfaEnrollmentRequired');
      }
      expect((await t.http.get('/v1/caller-identity').set(s)).status).toBe(200);

      // Enrollment works in that session.
      const base = `/v1/accounts/${a.accountId}/root/mfa-devices`;
      expect((await t.http.get(base).set(s)).status).toBe(200);
      const d = await createDevice(res.body.sessionToken, base);
      const en = await t.http.post(`${base}/enable`).set(s).send({ serialNumber: d.serialNumber, authenticationCode1: codeAt(d.seed, -1), authenticationCode2: codeAt(d.seed, 0) });
      expect(en.status, JSON.stringify(en.body)).toBe(201);

      // Next sign-in: MFA, then a full session.
      const s1 = await signin(ip, { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
      expect(s1.body.status).toBe('MFA_REQUIRED');
      const s2 = await challenge(ip, s1.body.challengeToken, codeAt(d.seed, 1));
      expect(s2.status, JSON.stringify(s2.body)).toBe(200);
      expect(s2.body.restriction).toBeNull();
      expect((await t.http.get(`/v1/accounts/${a.accountId}/users`).set(bearer(s2.body.sessionToken))).status).toBe(200);
      // The setting did not restrict IAM users.
      const ro = await userWithPolicies(t, a, [READ_ONLY]);
      expect((await t.http.get(`/v1/accounts/${a.accountId}/users`).set(bearer(ro.token))).status).toBe(200);
    });

    it('requireAdminMfa: an administrator without a device is restricted to enrollment, a read-only user is not', async () => {
      await freshStep();
      const a = await accountWithRoot(t);
      const adminName = uniq('admin-');
      await userWithPolicies(t, a, [ADMIN], adminName);
      const roName = uniq('ro-');
      await userWithPolicies(t, a, [READ_ONLY], roName);
      expect((await t.http.patch(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken)).send({ requireAdminMfa: true })).status).toBe(200);
      const users = `/v1/accounts/${a.accountId}/users`;

      const ro = await signin(newIp(), { account: a.accountId, userName: roName, password: USER_PASSWORD });
      expect(ro.body).toMatchObject({ status: 'SIGNED_IN', restriction: null });
      expect((await t.http.get(users).set(bearer(ro.body.sessionToken))).status).toBe(200);

      const ip = newIp();
      const adm = await signin(ip, { account: a.accountId, userName: adminName, password: USER_PASSWORD });
      expect(adm.body).toMatchObject({ status: 'SIGNED_IN', restriction: 'mfa-enrollment' });
      const s = bearer(adm.body.sessionToken);
      const refused = await t.http.get(users).set(s);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('MfaEnrollmentRequired');
      // Root is not an "administrator" for this setting (requireRootMfa is separate).
      expect((await signin(newIp(), { account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD })).body.restriction).toBeNull();

      const base = `${users}/${adminName}/mfa-devices`;
      const d = await createDevice(adm.body.sessionToken, base);
      const en = await t.http.post(`${base}/enable`).set(s).send({ serialNumber: d.serialNumber, authenticationCode1: codeAt(d.seed, -1), authenticationCode2: codeAt(d.seed, 0) });
      expect(en.status, JSON.stringify(en.body)).toBe(201);
      // Still restricted in the enrollment session, except for enrollment.
      expect((await t.http.get(users).set(s)).status).toBe(403);

      const full = await signin(ip, { account: a.accountId, userName: adminName, password: USER_PASSWORD, mfaCode: codeAt(d.seed, 1) });
      expect(full.status, JSON.stringify(full.body)).toBe(200);
      expect(full.body).toMatchObject({ mfaAuthenticated: true, restriction: null });
      expect((await t.http.get(users).set(bearer(full.body.sessionToken))).status).toBe(200);
    });
  });
});
