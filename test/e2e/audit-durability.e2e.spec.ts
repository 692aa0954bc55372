import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from '../../src/modules/audit/audit-chain.js';
import type { AppConfig } from '../../src/config/app-config.js';
import type { AuditEntry, AuditService } from '../../src/modules/audit/audit.service.js';
import { FailureAggregator, MAX_FAILURE_KEYS, OVERFLOW_ACTION } from '../../src/modules/audit/failure-aggregator.js';
import { accountWithRoot, bearer, bigintSafe, newIp, READ_ONLY, type TestAccount } from '../support/factories.js';
import { signedRequest, type Keys } from '../support/sigv4-client.js';
import { allow, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

/**
 * The audit record is part of every change: if it cannot be written, the
 * request fails and nothing persists (fail closed). Failed authentication is
 * recorded without letting a flood fill the database. Concurrent writers on
 * two instances keep the chain valid.
 */
describe(`audit durability (${DB_KIND})`, () => {
  let t: TestApp;
  let t2: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', AUDIT_FAILURE_WINDOW_MS: '60000' });
    // A second broker instance on the same database (same PGlite, or the same PostgreSQL database).
    t2 = await startTestApp({ TRUST_PROXY: 'true', AUDIT_FAILURE_WINDOW_MS: '60000' }, { driver: t.driver });
  });
  afterAll(async () => {
    await t2?.close();
    await t?.close();
  });

  /** Makes every insert of the given actions into this chain fail, as a broken audit store would; returns the undo. */
  async function breakAudit(chain: string, actions: string[]): Promise<() => Promise<void>> {
    const name = `h5_fail_${uniq()}`;
    await t.driver.query(
      `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.chain = ${lit(chain)} AND NEW.action = ANY(ARRAY[${actions.map(lit).join(',')}]::text[]) THEN
           RAISE EXCEPTION 'audit store unavailable (test %)', NEW.action;
         END IF;
         RETURN NEW;
       END $$`,
    );
    await t.driver.query(`CREATE TRIGGER ${name} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${name}()`);
    return async () => {
      await t.driver.query(`DROP TRIGGER IF EXISTS ${name} ON audit_events`);
      await t.driver.query(`DROP FUNCTION IF EXISTS ${name}()`);
    };
  }
  // Passport's strategies are process-wide: the app started last authenticates for both, so both are flushed.
  const flush = () => Promise.all([t, t2].map((x) => x.app.get(FailureAggregator).flush()));
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

  /** A server fault answered in the REST format, without the database's words. */
  function failedClosed(res: { status: number; body: unknown; text: string }) {
    expect(res.status, res.text).toBeGreaterThanOrEqual(500);
    const body = res.body as { error?: { code: string }; Code?: string };
    expect(body.error?.code ?? body.Code).toBeTruthy();
    expect(res.text).not.toMatch(/audit store unavailable|audit_events|trigger|plpgsql|prisma|stack/i);
  }

  describe('fail closed', () => {
    let a: TestAccount;
    beforeAll(async () => {
      a = await accountWithRoot(t);
    });

    it('no user, access key, policy or group change persists when its audit record cannot be written', async () => {
      const h = bearer(a.rootToken);
      const existing = uniq('keep-');
      expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: existing })).status).toBe(201);
      const undo = await breakAudit(a.accountId, ['iam:CreateUser', 'iam:CreateAccessKey', 'iam:PutUserPolicy', 'iam:CreatePolicy', 'iam:CreateGroup', 'iam:DeleteUser']);
      try {
        const name = uniq('lost-');
        failedClosed(await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: name }));
        expect(await t.prisma.user.count({ where: { accountId: a.accountId, name } })).toBe(0);

        failedClosed(await t.http.post(`/v1/accounts/${a.accountId}/users/${existing}/access-keys`).set(h));
        expect(await t.prisma.accessKey.count({ where: { accountId: a.accountId } })).toBe(0);

        failedClosed(await t.http.put(`/v1/accounts/${a.accountId}/users/${existing}/inline-policies/p`).set(h).send({ document: policyDoc([allow('s3:GetObject')]) }));
        expect(await t.prisma.inlinePolicy.count({ where: { accountId: a.accountId } })).toBe(0);

        failedClosed(await t.http.post(`/v1/accounts/${a.accountId}/policies`).set(h).send({ policyName: uniq('p-'), document: policyDoc([allow('s3:GetObject')]) }));
        expect(await t.prisma.policy.count({ where: { accountId: a.accountId } })).toBe(0);

        failedClosed(await t.http.post(`/v1/accounts/${a.accountId}/groups`).set(h).send({ groupName: uniq('g-') }));
        expect(await t.prisma.group.count({ where: { accountId: a.accountId } })).toBe(0);

        failedClosed(await t.http.delete(`/v1/accounts/${a.accountId}/users/${existing}`).set(h));
        expect(await t.prisma.user.count({ where: { accountId: a.accountId, name: existing } })).toBe(1);
      } finally {
        await undo();
      }
      // And the same requests work again once the audit store does.
      expect((await t.http.post(`/v1/accounts/${a.accountId}/users/${existing}/access-keys`).set(h)).status).toBe(201);
    });

    it('no STS session is issued when its audit record cannot be written, even in a batch with other accounts (group commit)', async () => {
      const b = await accountWithRoot(t);
      const setup = async (acct: TestAccount) => {
        const r = await role(t, acct, trustPolicy(acct.accountId), { policies: [READ_ONLY] });
        const u = await userWithKey(t, acct, policyDoc([allow('sts:AssumeRole', r.arn)]));
        return { r, u };
      };
      const [sa, sb] = await Promise.all([setup(a), setup(b)]);
      const undo = await breakAudit(a.accountId, ['sts:AssumeRole', 'sts:GetSessionToken']);
      try {
        // Concurrent requests of both accounts land in the same commit batches: A's all fail, B's all succeed.
        const assume = (s: { r: { arn: string }; u: { keys: Keys } }, i: number) =>
          signedRequest(t, s.u.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: s.r.arn, RoleSessionName: `s${i}` } });
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? assume(sb, i) : assume(sa, i))));
        for (const [i, res] of results.entries()) {
          if (i % 2) expect(res.status, res.text).toBe(200);
          else {
            failedClosed(res);
            expect(res.text).not.toContain('SecretAccessKey');
          }
        }
        failedClosed(await signedRequest(t, sa.u.keys, 'POST', '/v1/sts/get-session-token', { body: {} }));
        expect(await t.prisma.stsSession.count({ where: { accountId: a.accountId } })).toBe(0);
        expect(await t.prisma.stsSession.count({ where: { accountId: b.accountId } })).toBe(20);
        expect(await t.prisma.auditEvent.count({ where: { chain: b.accountId, action: 'sts:AssumeRole', outcome: 'success' } })).toBe(20);
      } finally {
        await undo();
      }
      expect((await assumeOnce(sa)).status).toBe(200);
      async function assumeOnce(s: { r: { arn: string }; u: { keys: Keys } }) {
        return signedRequest(t, s.u.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: s.r.arn, RoleSessionName: 'after' } });
      }
    });

    it('no container token, and no container credentials, without their audit records', async () => {
      const c = await accountWithRoot(t);
      const r = await role(t, c, trustPolicy(c.accountId), { policies: [READ_ONLY] });
      const u = await userWithKey(t, c, policyDoc([allow(['sts:CreateContainerToken', 'sts:AssumeRole'])]));
      const undoCreate = await breakAudit(c.accountId, ['sts:CreateContainerToken']);
      try {
        failedClosed(await signedRequest(t, u.keys, 'POST', `/v1/accounts/${c.accountId}/container-tokens`, { body: { name: uniq('ct-'), roleArn: r.arn } }));
        expect(await t.prisma.containerToken.count({ where: { accountId: c.accountId } })).toBe(0);
      } finally {
        await undoCreate();
      }
      const created = await signedRequest(t, u.keys, 'POST', `/v1/accounts/${c.accountId}/container-tokens`, { body: { name: uniq('ct-'), roleArn: r.arn } });
      expect(created.status, created.text).toBe(201);
      const undoIssue = await breakAudit(c.accountId, ['sts:AssumeRole']);
      try {
        const res = await t.http.get('/v1/container-credentials').set('Authorization', created.body.token);
        failedClosed(res);
        expect(await t.prisma.stsSession.count({ where: { accountId: c.accountId } })).toBe(0);
      } finally {
        await undoIssue();
      }
      expect((await t.http.get('/v1/container-credentials').set('Authorization', created.body.token)).status).toBe(200);
    });

    it('a revocation is not applied without its audit record', async () => {
      const d = await accountWithRoot(t);
      const r = await role(t, d, trustPolicy(d.accountId), { policies: [READ_ONLY] });
      const u = await userWithKey(t, d, policyDoc([allow('sts:AssumeRole', r.arn)]));
      const issued = await signedRequest(t, u.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: r.arn, RoleSessionName: 'before' } });
      expect(issued.status).toBe(200);
      const undo = await breakAudit(d.accountId, ['sts:RevokeSessions']);
      try {
        failedClosed(await t.http.post(`/v1/accounts/${d.accountId}/sts/revocations`).set(bearer(d.rootToken)).send({ all: true }));
        expect(await t.prisma.stsSession.count({ where: { accountId: d.accountId, revokedAt: { not: null } } })).toBe(0);
      } finally {
        await undo();
      }
    });
  });

  describe('failed authentication is rate-limited', () => {
    it('500 identical bad signatures make a handful of records that count all of them', async () => {
      const a = await accountWithRoot(t);
      const u = await userWithKey(t, a);
      const ip = newIp();
      const wrong: Keys = { accessKeyId: u.keys.accessKeyId, secretAccessKey: 'x'.repeat(40) };
      for (let i = 0; i < 10; i++) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, () => signedRequest(t, wrong, 'GET', '/v1/caller-identity', from(ip))),
        );
        for (const r of batch) expect(r.status).toBe(403);
      }
      const where = { chain: a.accountId, action: 'sts:AuthenticateRequest', sourceIp: ip };
      const before = await t.prisma.auditEvent.findMany({ where });
      expect(before).toHaveLength(1);
      expect(before[0]).toMatchObject({ outcome: 'denied', errorCode: 'SignatureDoesNotMatch', accessKeyId: u.keys.accessKeyId, actorArn: u.arn });
      await flush();
      const rows = await t.prisma.auditEvent.findMany({ where, orderBy: { seq: 'asc' } });
      expect(rows.length).toBeLessThanOrEqual(3);
      expect(total(rows)).toBe(500);
      const summary = rows.find((r) => (r.details as Record<string, unknown>).repeated !== undefined)!;
      expect(summary.details).toMatchObject({ repeated: 499, firstAt: expect.any(String), lastAt: expect.any(String) });
      expect(bigintSafe(rows)).not.toContain(wrong.secretAccessKey);
    });

    it('unknown access keys are counted on the platform chain', async () => {
      const ip = newIp();
      const unknown: Keys = { accessKeyId: 'AKIA' + 'Q'.repeat(16), secretAccessKey: 'y'.repeat(40) };
      for (let i = 0; i < 5; i++) {
        await Promise.all(Array.from({ length: 20 }, () => signedRequest(t, unknown, 'GET', '/v1/caller-identity', from(ip))));
      }
      await flush();
      const rows = await t.prisma.auditEvent.findMany({ where: { sourceIp: ip, action: 'sts:AuthenticateRequest' } });
      expect(rows.length).toBeLessThanOrEqual(2);
      expect(rows.every((r) => r.chain === 'platform' && r.errorCode === 'InvalidClientTokenId' && r.actorArn === null)).toBe(true);
      expect((rows[0]!.details as Record<string, unknown>).accessKeyId).toBe(unknown.accessKeyId);
      expect(total(rows)).toBe(100);
    });

    it('unknown bearer tokens and sign-ins refused while locked out are failed authentications too', async () => {
      const ip = newIp();
      const session = 'cbs_' + 'x'.repeat(43);
      for (let i = 0; i < 30; i++) {
        const res = await t.http.get('/v1/caller-identity').set('Authorization', `Bearer ${session}`).set('X-Forwarded-For', ip);
        expect(res.status).toBe(401);
      }
      const op = await t.http.get('/v1/accounts').set('Authorization', `Bearer cbop_${'y'.repeat(43)}`).set('X-Forwarded-For', ip);
      expect(op.status).toBe(401);

      // Lock a user out with wrong passwords, then keep trying: each attempt is counted.
      const acct = await accountWithRoot(t);
      const body = { account: acct.accountId, email: acct.rootEmail, password: 'Wrong-Passw0rd!' };
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await t.http.post('/v1/signin').set('X-Forwarded-For', ip).send(body)).status);
      expect(statuses).toContain(429);
      await flush();

      const sessions = await t.prisma.auditEvent.findMany({ where: { chain: 'platform', sourceIp: ip, action: 'signin:AuthenticateSession' } });
      expect([sessions.length <= 2, total(sessions)]).toEqual([true, 30]);
      expect(sessions[0]).toMatchObject({ outcome: 'denied', errorCode: 'MissingAuthenticationToken' });
      const ops = await t.prisma.auditEvent.findMany({ where: { chain: 'platform', sourceIp: ip, action: 'platform:AuthenticateOperator' } });
      expect(total(ops)).toBe(1);
      const signins = await t.prisma.auditEvent.findMany({ where: { chain: acct.accountId, sourceIp: ip, action: 'signin:ConsoleLogin' } });
      expect(total(signins)).toBe(12);
      expect(signins.some((r) => (r.details as Record<string, unknown>).lockedOut === true)).toBe(true);
      expect(bigintSafe([...sessions, ...ops, ...signins])).not.toMatch(/cbs_|cbop_|Wrong-Passw0rd/);
    });

    it('different failures (address, key, error) are not merged; a new window starts a new record', async () => {
      const t3 = await startTestApp({ TRUST_PROXY: 'true', AUDIT_FAILURE_WINDOW_MS: '300' }, { driver: t.driver });
      try {
        const a = await accountWithRoot(t3);
        const u = await userWithKey(t3, a);
        const wrong: Keys = { ...u.keys, secretAccessKey: 'z'.repeat(40) };
        const [ip1, ip2] = [newIp(), newIp()];
        for (const ip of [ip1, ip1, ip2, ip2, ip2]) expect((await signedRequest(t3, wrong, 'GET', '/v1/caller-identity', from(ip))).status).toBe(403);
        const bad = await t3.http.get('/v1/container-credentials').set('Authorization', `cbct_${uniq()}${uniq()}`).set('X-Forwarded-For', ip1);
        expect(bad.status).toBeGreaterThanOrEqual(400);
        expect(bad.status).toBeLessThan(500);
        // The windows close on their own (unref'd timers).
        await new Promise((r) => setTimeout(r, 800));
        const one = await t3.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'sts:AuthenticateRequest', sourceIp: ip1 } });
        const two = await t3.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'sts:AuthenticateRequest', sourceIp: ip2 } });
        expect([one.length, total(one)]).toEqual([2, 2]);
        expect([two.length, total(two)]).toEqual([2, 3]);
        const token = await t3.prisma.auditEvent.findMany({ where: { chain: 'platform', action: 'sts:GetContainerCredentials', sourceIp: ip1 } });
        expect(token).toHaveLength(1);
        expect(token[0]).toMatchObject({ outcome: 'denied', errorCode: 'InvalidClientTokenId' });
        expect(bigintSafe(token)).not.toContain('cbct_');
        // After the window, the next failure is written at once again.
        expect((await signedRequest(t3, wrong, 'GET', '/v1/caller-identity', from(ip1))).status).toBe(403);
        expect(await t3.prisma.auditEvent.count({ where: { chain: a.accountId, action: 'sts:AuthenticateRequest', sourceIp: ip1 } })).toBe(3);
      } finally {
        await t3.close();
      }
    });

    it('pending counts are written when the broker shuts down', async () => {
      const t4 = await startTestApp({ TRUST_PROXY: 'true', AUDIT_FAILURE_WINDOW_MS: '3600000' }, { driver: t.driver });
      const a = await accountWithRoot(t4);
      const u = await userWithKey(t4, a);
      const ip = newIp();
      for (let i = 0; i < 7; i++) await signedRequest(t4, { ...u.keys, secretAccessKey: 'w'.repeat(40) }, 'GET', '/v1/caller-identity', from(ip));
      expect(await t4.prisma.auditEvent.count({ where: { chain: a.accountId, sourceIp: ip } })).toBe(1);
      await t4.close();
      const rows = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, sourceIp: ip } });
      expect(total(rows)).toBe(7);
    });
  });

  it('memory is bounded: beyond MAX_FAILURE_KEYS distinct kinds, failures are counted per chain on one overflow record', async () => {
    const written: AuditEntry[] = [];
    const audit = { record: async (e: AuditEntry) => void written.push(e) } as unknown as AuditService;
    const agg = new FailureAggregator({ auditFailureWindowMs: 60_000 } as AppConfig, audit);
    const fail = (i: number, chain = 'c1') =>
      agg.failed({ chain, action: 'sts:AuthenticateRequest', outcome: 'denied', errorCode: 'InvalidClientTokenId', actor: null, client: { requestId: `r${i}`, sourceIp: `10.0.${i >> 8}.${i & 255}` }, details: { i } }, `AKIA${i}`);
    for (let i = 0; i < MAX_FAILURE_KEYS; i++) await fail(i);
    expect(written).toHaveLength(MAX_FAILURE_KEYS);
    // Repeats of tracked kinds are still counted on their own windows; new kinds go to the overflow.
    await fail(0);
    for (let i = MAX_FAILURE_KEYS; i < MAX_FAILURE_KEYS + 250; i++) await fail(i);
    await fail(MAX_FAILURE_KEYS + 1, 'c2');
    expect(written).toHaveLength(MAX_FAILURE_KEYS);
    await agg.flush();
    const overflow = written.filter((e) => e.action === OVERFLOW_ACTION);
    expect(overflow.map((e) => [e.chain, e.details?.repeated, e.details?.overflow])).toEqual([
      ['c1', 250, true],
      ['c2', 1, true],
    ]);
    expect(overflow[0]!.details?.kinds).toEqual({ 'sts:AuthenticateRequest InvalidClientTokenId': 250 });
    expect(written.filter((e) => e.details?.repeated === 1 && !e.details?.overflow)).toHaveLength(1);
    // After the flush, tracking starts again from empty.
    await fail(MAX_FAILURE_KEYS + 500);
    expect(written.at(-1)!.details).toEqual({ i: MAX_FAILURE_KEYS + 500 });
    await agg.flush();
  });

  describe('concurrent writers', () => {
    it('200 concurrent audited requests on two instances keep one gap-free, valid chain', async () => {
      const a = await accountWithRoot(t);
      const r = await role(t, a, trustPolicy(a.accountId), { policies: [READ_ONLY] });
      const u = await userWithKey(t, a, policyDoc([allow(['sts:AssumeRole', 'iam:CreateGroup'], '*')]));
      const reqs = Array.from({ length: 200 }, (_, i) => {
        const app = i % 2 ? t2 : t;
        // Both paths: single audited transactions (groups) and group commit (issuance).
        return i % 4 < 2
          ? signedRequest(app, u.keys, 'POST', `/v1/accounts/${a.accountId}/groups`, { body: { groupName: `g${i}-${uniq()}` } })
          : signedRequest(app, u.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: r.arn, RoleSessionName: `s${i}` } });
      });
      const results = await Promise.all(reqs);
      for (const res of results) expect(res.status, res.text).toBeLessThan(300);
      const rows = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId }, orderBy: { seq: 'asc' } });
      let prev = GENESIS_HASH;
      rows.forEach((row, i) => {
        expect(row.seq).toBe(BigInt(i + 1));
        expect(row.prevHash).toBe(prev);
        expect(row.hash).toBe(chainHash(prev, { ...row, details: row.details ?? null }));
        prev = row.hash;
      });
      const head = await t.prisma.auditHead.findUnique({ where: { chain: a.accountId } });
      expect(head).toMatchObject({ seq: BigInt(rows.length), hash: prev });
      expect(rows.filter((x) => x.action === 'iam:CreateGroup' && x.outcome === 'success')).toHaveLength(100);
      expect(rows.filter((x) => x.action === 'sts:AssumeRole' && x.outcome === 'success')).toHaveLength(100);
    });
  });
});

/** Sends the request from this address (the apps trust X-Forwarded-For; the header is not signed). */
const from = (ip: string) => ({ tamper: (h: Record<string, string>) => void (h['x-forwarded-for'] = ip) });

/** Failures a set of records stands for: each record one, plus the repeats a summary counted. */
function total(rows: { details: unknown }[]): number {
  return rows.reduce((n, r) => {
    const d = (r.details ?? {}) as { repeated?: number; overflow?: boolean };
    return n + (d.repeated === undefined ? 1 : d.repeated);
  }, 0);
}
