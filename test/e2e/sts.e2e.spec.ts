import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, ADMIN, bearer, bigintSafe, codeAt, READ_ONLY, type TestAccount } from '../support/factories.js';
import { signedRequest, type Keys } from '../support/sigv4-client.js';
import { allow, keysOf, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { GENESIS_HASH, chainHash } from '../../src/modules/audit/audit-chain.js';
import { startTestApp, uniq, type TestApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ASSUME_ANY = policyDoc([allow('sts:AssumeRole')]);

describe('STS', () => {
  let t: TestApp;
  let a: TestAccount;
  beforeAll(async () => {
    t = await startTestApp();
    a = await accountWithRoot(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const sts = (keys: Keys, op: string, body: unknown = {}) => signedRequest(t, keys, 'POST', `/v1/sts/${op}`, { body });
  const whoami = (keys: Keys) => signedRequest(t, keys, 'GET', '/v1/sts/get-caller-identity');
  const listUsers = (keys: Keys) => signedRequest(t, keys, 'GET', `/v1/accounts/${a.accountId}/users`, { service: 'iam' });

  /** An enabled MFA device for the user (codes of now-9/now-8 used to enable it). */
  async function mfaDevice(userName: string) {
    const base = `/v1/accounts/${a.accountId}/users/${userName}/mfa-devices`;
    const d = await t.http.post(base).set(bearer(a.rootToken)).send({ deviceName: uniq('dev-') });
    expect(d.status).toBe(201);
    const seed = d.body.base32StringSeed as string;
    const en = await t.http.post(`${base}/enable`).set(bearer(a.rootToken)).send({ serialNumber: d.body.serialNumber, authenticationCode1: codeAt(seed, -9), authenticationCode2: codeAt(seed, -8) });
    expect(en.status, JSON.stringify(en.body)).toBe(201);
    return { serialNumber: d.body.serialNumber as string, seed };
  }

  it('GetCallerIdentity answers for every kind of credential: console session, long-term key, root', async () => {
    const u = await userWithKey(t, a);
    expect((await whoami(u.keys)).body).toEqual({ UserId: expect.stringMatching(/^AIDA/), Account: a.accountId, Arn: u.arn });
    const root = await t.http.get('/v1/sts/get-caller-identity').set(bearer(a.rootToken));
    expect(root.body).toEqual({ UserId: a.accountId, Account: a.accountId, Arn: `arn:aws:iam::${a.accountId}:root` });
    const post = await t.http.post('/v1/sts/get-caller-identity').set(bearer(a.rootToken));
    expect(post.status).toBe(200);
    expect((await t.http.get('/v1/sts/get-caller-identity')).status).toBe(401);
  });

  describe('GetSessionToken', () => {
    it('issues ASIA credentials bound to the user, default 12 hours, usable with SigV4 + session token', async () => {
      const u = await userWithKey(t, a, policyDoc([allow('iam:ListUsers')]));
      const before = Date.now();
      const r = await sts(u.keys, 'get-session-token');
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.headers['cache-control']).toBe('no-store');
      const c = r.body.Credentials;
      expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(c.SecretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
      expect(typeof c.SessionToken).toBe('string');
      const ttl = new Date(c.Expiration).getTime() - before;
      expect(ttl).toBeGreaterThan(43_200_000 - 10_000);
      expect(ttl).toBeLessThan(43_200_000 + 10_000);
      const me = await whoami(keysOf(r.body));
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ UserId: expect.stringMatching(/^AIDA/), Account: a.accountId, Arn: u.arn });
      // Without MFA, session-token credentials cannot call IAM, whatever the policies say (as in AWS).
      const iam = await listUsers(keysOf(r.body));
      expect(iam.status).toBe(403);
      expect(iam.body.error.code).toBe('AccessDenied');
    });

    it('checks the duration bounds and refuses session credentials as the caller', async () => {
      const u = await userWithKey(t, a);
      for (const d of [899, 129_601, 'abc']) {
        const r = await sts(u.keys, 'get-session-token', { DurationSeconds: d });
        expect(r.status, String(d)).toBe(400);
        expect(r.body.error.code).toBe('ValidationError');
      }
      const ok = await sts(u.keys, 'get-session-token', { DurationSeconds: 900 });
      expect(ok.status).toBe(200);
      const again = await sts(keysOf(ok.body), 'get-session-token');
      expect(again.status).toBe(403);
      expect(again.body.error.code).toBe('AccessDenied');
    });

    it('root sessions last at most one hour', async () => {
      const r = await t.http.post('/v1/sts/get-session-token').set(bearer(a.rootToken)).send({ DurationSeconds: 7200 });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const ttl = new Date(r.body.Credentials.Expiration).getTime() - Date.now();
      expect(ttl).toBeLessThanOrEqual(3_600_000);
      expect(ttl).toBeGreaterThan(3_500_000);
    });

    it('SerialNumber + TokenCode makes an MFA session that may call IAM; a wrong or replayed code is refused', async () => {
      const u = await userWithKey(t, a, policyDoc([allow('iam:ListUsers')]));
      const d = await mfaDevice(u.userName);
      const code = codeAt(d.seed);
      const r = await sts(u.keys, 'get-session-token', { SerialNumber: d.serialNumber, TokenCode: code });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect((await listUsers(keysOf(r.body))).status).toBe(200);
      const replay = await sts(u.keys, 'get-session-token', { SerialNumber: d.serialNumber, TokenCode: code });
      expect(replay.status).toBe(403);
      expect(replay.body.error.code).toBe('AccessDenied');
      expect(JSON.stringify(replay.body)).not.toContain(code);
      const half = await sts(u.keys, 'get-session-token', { SerialNumber: d.serialNumber });
      expect(half.status).toBe(400);
    });
  });

  describe('AssumeRole', () => {
    it('issues a role session with the role ARN, AROA id and the role permissions', async () => {
      const r0 = await role(t, a, trustPolicy(a.accountId), { policies: [READ_ONLY] });
      const u = await userWithKey(t, a, ASSUME_ANY);
      const r = await sts(u.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'build-42' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.AssumedRoleUser).toEqual({ Arn: `arn:aws:sts::${a.accountId}:assumed-role/${r0.roleName}/build-42`, AssumedRoleId: `${r0.roleId}:build-42` });
      expect(r.body.PackedPolicySize).toBe(0);
      const ttl = new Date(r.body.Credentials.Expiration).getTime() - Date.now();
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
      const k = keysOf(r.body);
      expect((await whoami(k)).body).toEqual({ UserId: `${r0.roleId}:build-42`, Account: a.accountId, Arn: r.body.AssumedRoleUser.Arn });
      expect((await listUsers(k)).status).toBe(200);
      const create = await signedRequest(t, k, 'POST', `/v1/accounts/${a.accountId}/users`, { body: { userName: uniq('x-') } });
      expect(create.status).toBe(403);
    });

    it('needs sts:AssumeRole in the caller policies and a trust policy naming the caller; a missing role looks the same', async () => {
      const r0 = await role(t, a, trustPolicy(a.accountId));
      const noPerm = await userWithKey(t, a);
      const r1 = await sts(noPerm.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 's1' });
      expect(r1.status).toBe(403);
      expect(r1.body.error.code).toBe('AccessDenied');
      const other = await userWithKey(t, a, ASSUME_ANY);
      const narrow = await role(t, a, trustPolicy(`arn:aws:iam::${a.accountId}:user/somebody-else`));
      const r2 = await sts(other.keys, 'assume-role', { RoleArn: narrow.arn, RoleSessionName: 's2' });
      expect(r2.status).toBe(403);
      const missing = await sts(other.keys, 'assume-role', { RoleArn: `arn:aws:iam::${a.accountId}:role/${uniq('nope-')}`, RoleSessionName: 's3' });
      expect(missing.status).toBe(403);
      expect(missing.body.error.code).toBe('AccessDenied');
      expect(missing.body.error.message).toMatch(/^User: .* is not authorized to perform: sts:AssumeRole on resource: /);
      expect(r2.body.error.message).toMatch(/^User: .* is not authorized to perform: sts:AssumeRole on resource: /);
      // Refusals are audited in the caller's account.
      const rows = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'sts:AssumeRole', outcome: 'denied', actorArn: noPerm.arn } });
      expect(rows.length).toBeGreaterThan(0);
    });

    it('validates the request as STS does', async () => {
      const r0 = await role(t, a, trustPolicy(a.accountId), { maxSessionDuration: 7200 });
      const u = await userWithKey(t, a, ASSUME_ANY);
      const bad = [
        { RoleArn: r0.arn, RoleSessionName: 'x' },
        { RoleArn: r0.arn, RoleSessionName: 'has space' },
        { RoleArn: r0.arn, RoleSessionName: 'a'.repeat(65) },
        { RoleArn: 'not-an-arn-at-all-xxxx', RoleSessionName: 'ok-name' },
        { RoleArn: r0.arn, RoleSessionName: 'ok-name', DurationSeconds: 7201 },
        { RoleArn: r0.arn, RoleSessionName: 'ok-name', DurationSeconds: 899 },
        { RoleArn: r0.arn, RoleSessionName: 'ok-name', ExternalId: 'x' },
        { RoleArn: r0.arn, RoleSessionName: 'ok-name', PolicyArns: Array.from({ length: 11 }, () => ({ arn: READ_ONLY })) },
        { RoleSessionName: 'ok-name' },
      ];
      for (const body of bad) {
        const r = await sts(u.keys, 'assume-role', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
      }
      const malformed = await sts(u.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'ok-name', Policy: '{"Version":' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('MalformedPolicyDocument');
      // A body nested thousands of levels deep is refused before any validator walks it.
      let deep: unknown = {};
      for (let i = 0; i < 3000; i++) deep = { a: deep };
      for (const path of ['/v1/sts/assume-role', `/v1/accounts/${a.accountId}/users`]) {
        const r = await t.http.post(path).set(bearer(a.rootToken)).send({ RoleArn: r0.arn, RoleSessionName: 'ok-name', userName: 'x1', Tags: deep });
        expect(r.status, path).toBe(400);
        expect(r.body.error.code).toBe('ValidationError');
      }
      const ok = await sts(u.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'ok-name', DurationSeconds: 7200 });
      expect(ok.status).toBe(200);
    });

    it('a session policy narrows the role: allowed inside it, denied outside it', async () => {
      const r0 = await role(t, a, trustPolicy(a.accountId), { policies: [ADMIN] });
      const u = await userWithKey(t, a, ASSUME_ANY);
      const r = await sts(u.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'scoped', Policy: JSON.stringify(policyDoc([allow('iam:ListUsers')])) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.PackedPolicySize).toBeGreaterThan(0);
      const k = keysOf(r.body);
      expect((await listUsers(k)).status).toBe(200);
      const denied = await signedRequest(t, k, 'POST', `/v1/accounts/${a.accountId}/users`, { body: { userName: uniq('x-') } });
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('AccessDenied');
      // Managed policies as session policies.
      const m = await sts(u.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'scoped2', PolicyArns: [{ arn: READ_ONLY }] });
      expect(m.status).toBe(200);
      expect((await listUsers(keysOf(m.body))).status).toBe(200);
      expect((await signedRequest(t, keysOf(m.body), 'POST', `/v1/accounts/${a.accountId}/users`, { body: { userName: uniq('x-') } })).status).toBe(403);
    });

    it('ExternalId and MFA conditions in the trust policy are enforced', async () => {
      const ext = await role(t, a, trustPolicy(a.accountId, { StringEquals: { 'sts:ExternalId': 'tenant-7' } }));
      const u = await userWithKey(t, a, ASSUME_ANY);
      expect((await sts(u.keys, 'assume-role', { RoleArn: ext.arn, RoleSessionName: 's1' })).status).toBe(403);
      expect((await sts(u.keys, 'assume-role', { RoleArn: ext.arn, RoleSessionName: 's1', ExternalId: 'tenant-8' })).status).toBe(403);
      expect((await sts(u.keys, 'assume-role', { RoleArn: ext.arn, RoleSessionName: 's1', ExternalId: 'tenant-7' })).status).toBe(200);

      const mfaRole = await role(t, a, trustPolicy(a.accountId, { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }));
      expect((await sts(u.keys, 'assume-role', { RoleArn: mfaRole.arn, RoleSessionName: 's1' })).status).toBe(403);
      const d = await mfaDevice(u.userName);
      const ok = await sts(u.keys, 'assume-role', { RoleArn: mfaRole.arn, RoleSessionName: 's1', SerialNumber: d.serialNumber, TokenCode: codeAt(d.seed) });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    });

    it('tags need sts:TagSession in the trust policy and become principal tags', async () => {
      const noTag = await role(t, a, trustPolicy(a.accountId, undefined, ['sts:AssumeRole']));
      const u = await userWithKey(t, a, ASSUME_ANY);
      const tags = [{ Key: 'team', Value: 'payments' }];
      expect((await sts(u.keys, 'assume-role', { RoleArn: noTag.arn, RoleSessionName: 's1', Tags: tags })).status).toBe(403);
      const tagged = await role(t, a, trustPolicy(a.accountId), { inline: policyDoc([allow('iam:ListUsers', '*', { Condition: { StringEquals: { 'aws:PrincipalTag/team': 'payments' } } })]) });
      const r = await sts(u.keys, 'assume-role', { RoleArn: tagged.arn, RoleSessionName: 's1', Tags: tags, SourceIdentity: 'alice' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.SourceIdentity).toBe('alice');
      expect((await listUsers(keysOf(r.body))).status).toBe(200);
      const other = await sts(u.keys, 'assume-role', { RoleArn: tagged.arn, RoleSessionName: 's1', Tags: [{ Key: 'team', Value: 'ops' }] });
      expect((await listUsers(keysOf(other.body))).status).toBe(403);
    });

    it('role chaining: at most one hour, the source identity sticks', async () => {
      const first = await role(t, a, trustPolicy(a.accountId), { policies: [], inline: ASSUME_ANY });
      const second = await role(t, a, trustPolicy(a.accountId), { policies: [READ_ONLY], maxSessionDuration: 7200 });
      const u = await userWithKey(t, a, ASSUME_ANY);
      const s1 = await sts(u.keys, 'assume-role', { RoleArn: first.arn, RoleSessionName: 'hop1', SourceIdentity: 'alice' });
      expect(s1.status).toBe(200);
      const k1 = keysOf(s1.body);
      const tooLong = await sts(k1, 'assume-role', { RoleArn: second.arn, RoleSessionName: 'hop2', DurationSeconds: 3601 });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.message).toContain('role chaining');
      const changed = await sts(k1, 'assume-role', { RoleArn: second.arn, RoleSessionName: 'hop2', SourceIdentity: 'mallory' });
      expect(changed.status).toBe(403);
      const s2 = await sts(k1, 'assume-role', { RoleArn: second.arn, RoleSessionName: 'hop2' });
      expect(s2.status, JSON.stringify(s2.body)).toBe(200);
      expect(s2.body.SourceIdentity).toBe('alice');
      const row = await t.prisma.stsSession.findUnique({ where: { accessKeyId: s2.body.Credentials.AccessKeyId } });
      expect(row).toMatchObject({ parentAccessKeyId: k1.accessKeyId, sourceArn: u.arn, sourceIdentity: 'alice' });
    });

    it('cross-account: the caller account allows it and the role trusts it, optionally with an external id', async () => {
      const b = await accountWithRoot(t);
      const foreign = await role(t, b, trustPolicy(a.accountId, { StringEquals: { 'sts:ExternalId': 'shared-secret-id' } }), { policies: [READ_ONLY] });
      const u = await userWithKey(t, a, ASSUME_ANY);
      const noPerm = await userWithKey(t, a);
      expect((await sts(noPerm.keys, 'assume-role', { RoleArn: foreign.arn, RoleSessionName: 'xa', ExternalId: 'shared-secret-id' })).status).toBe(403);
      expect((await sts(u.keys, 'assume-role', { RoleArn: foreign.arn, RoleSessionName: 'xa' })).status).toBe(403);
      const r = await sts(u.keys, 'assume-role', { RoleArn: foreign.arn, RoleSessionName: 'xa', ExternalId: 'shared-secret-id' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const me = await whoami(keysOf(r.body));
      expect(me.body.Account).toBe(b.accountId);
      const listB = await signedRequest(t, keysOf(r.body), 'GET', `/v1/accounts/${b.accountId}/users`);
      expect(listB.status).toBe(200);
      const listA = await signedRequest(t, keysOf(r.body), 'GET', `/v1/accounts/${a.accountId}/users`);
      expect(listA.status).toBe(404);
      // The issuance is recorded in the role's account.
      const rec = await t.prisma.auditEvent.findFirst({ where: { chain: b.accountId, action: 'sts:AssumeRole', outcome: 'success' } });
      expect(rec?.actorArn).toBe(u.arn);
    });
  });

  describe('GetFederationToken', () => {
    it('needs a session policy for any permission, names the federated user, and cannot call IAM', async () => {
      const u = await userWithKey(t, a, policyDoc([allow(['sts:GetFederationToken', 'iam:ListUsers'])]));
      const r = await sts(u.keys, 'get-federation-token', { Name: 'bob', Policy: JSON.stringify(policyDoc([allow('iam:ListUsers')])) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.FederatedUser).toEqual({ FederatedUserId: `${a.accountId}:bob`, Arn: `arn:aws:sts::${a.accountId}:federated-user/bob` });
      const k = keysOf(r.body);
      expect((await whoami(k)).body.Arn).toBe(`arn:aws:sts::${a.accountId}:federated-user/bob`);
      expect((await listUsers(k)).status).toBe(403);
      expect((await sts(k, 'get-session-token')).status).toBe(403);
      for (const Name of ['b', 'x'.repeat(33), 'sp ace']) expect((await sts(u.keys, 'get-federation-token', { Name })).status).toBe(400);
      const noPerm = await userWithKey(t, a);
      expect((await sts(noPerm.keys, 'get-federation-token', { Name: 'bob' })).status).toBe(403);
    });
  });

  describe('temporary credentials', () => {
    it('a session token moved onto another key, a wrong token and an expired session are refused', async () => {
      const u = await userWithKey(t, a);
      const one = keysOf((await sts(u.keys, 'get-session-token')).body);
      const two = keysOf((await sts(u.keys, 'get-session-token')).body);
      const swapped = await whoami({ ...one, sessionToken: two.sessionToken });
      expect(swapped.status).toBe(403);
      expect(swapped.body.error.code).toBe('InvalidClientTokenId');
      expect((await whoami({ ...one, sessionToken: 'cbst_forged' })).status).toBe(403);
      expect((await whoami({ ...one, sessionToken: undefined })).status).toBe(403);
      await t.prisma.stsSession.update({ where: { accessKeyId: two.accessKeyId }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const expired = await whoami(two);
      expect(expired.status).toBe(403);
      expect(expired.body.error.code).toBe('ExpiredToken');
    });

    it('stores no secret or token in clear and audits each issuance without them', async () => {
      const u = await userWithKey(t, a);
      const r = await sts(u.keys, 'get-session-token');
      const c = r.body.Credentials;
      const row = await t.prisma.stsSession.findUnique({ where: { accessKeyId: c.AccessKeyId } });
      const dump = bigintSafe(row);
      expect(dump).not.toContain(c.SecretAccessKey);
      expect(dump).not.toContain(c.SessionToken);
      const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId } });
      const all = bigintSafe(audit);
      expect(all).not.toContain(c.SecretAccessKey);
      expect(all).not.toContain(c.SessionToken);
      const rec = audit.find((e) => e.action === 'sts:GetSessionToken' && (e.details as Record<string, unknown>)?.issuedAccessKeyId === c.AccessKeyId);
      expect(rec).toMatchObject({ outcome: 'success', actorArn: u.arn, accessKeyId: u.keys.accessKeyId });
    });

    it('concurrent issuance in several accounts keeps every audit chain gap-free and valid (group commit)', async () => {
      const accounts = [a, await accountWithRoot(t), await accountWithRoot(t)];
      const callers = await Promise.all(
        accounts.map(async (acct) => {
          const r0 = await role(t, acct, trustPolicy(acct.accountId));
          const u = await userWithKey(t, acct, ASSUME_ANY);
          return { acct, r0, u };
        }),
      );
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const c = callers[i % callers.length]!;
          return sts(c.u.keys, 'assume-role', { RoleArn: c.r0.arn, RoleSessionName: `burst-${i}` });
        }),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
      for (const { acct } of callers) {
        const rows = await t.prisma.auditEvent.findMany({ where: { chain: acct.accountId }, orderBy: { seq: 'asc' } });
        let prev = GENESIS_HASH;
        rows.forEach((row, i) => {
          expect(row.seq).toBe(BigInt(i + 1));
          expect(row.prevHash).toBe(prev);
          expect(chainHash(prev, { ...row, details: row.details ?? null })).toBe(row.hash);
          prev = row.hash;
        });
        const head = await t.prisma.auditHead.findUnique({ where: { chain: acct.accountId } });
        expect(head).toMatchObject({ seq: BigInt(rows.length), hash: prev });
        // Every issued credential has its record.
        const issued = new Set(rows.map((r) => (r.details as Record<string, unknown> | null)?.issuedAccessKeyId).filter(Boolean));
        for (const r of results) if (r.body.AssumedRoleUser.Arn.includes(`:${acct.accountId}:`)) expect(issued.has(r.body.Credentials.AccessKeyId)).toBe(true);
      }
    });

    it('nothing is issued when the audit record cannot be written', async () => {
      const b = await accountWithRoot(t);
      const u = await userWithKey(t, b);
      const head = await t.prisma.auditHead.findUnique({ where: { chain: b.accountId } });
      await t.prisma.auditHead.delete({ where: { chain: b.accountId } });
      try {
        const r = await signedRequest(t, u.keys, 'POST', '/v1/sts/get-session-token', { body: {} });
        expect(r.status).toBe(500);
        expect(await t.prisma.stsSession.count({ where: { accountId: b.accountId } })).toBe(0);
      } finally {
        await t.prisma.auditHead.create({ data: head! });
      }
    });
  });

  describe('revocation', () => {
    const revoke = (acct: TestAccount, body: Record<string, unknown>) => t.http.post(`/v1/accounts/${acct.accountId}/sts/revocations`).set(bearer(acct.rootToken)).send(body);

    async function refusedWithin(keys: Keys, ms: number) {
      const start = Date.now();
      for (;;) {
        const r = await whoami(keys);
        if (r.status === 403) return Date.now() - start;
        if (Date.now() - start > ms) throw new Error(`still accepted after ${ms} ms`);
        await sleep(20);
      }
    }

    it('one session (and what was chained from it), a role, a principal, the account before a time', async () => {
      const r0 = await role(t, a, trustPolicy(a.accountId), { inline: ASSUME_ANY });
      const u = await userWithKey(t, a, ASSUME_ANY);
      const s1 = keysOf((await sts(u.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'a1' })).body);
      const chained = keysOf((await sts(s1, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'a2' })).body);
      const s3 = keysOf((await sts(u.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'a3' })).body);
      expect((await whoami(chained)).status).toBe(200);
      const one = await revoke(a, { accessKeyId: s1.accessKeyId });
      expect(one.status, JSON.stringify(one.body)).toBe(200);
      expect(one.body.revoked).toBe(2);
      expect(await refusedWithin(s1, 1000)).toBeLessThan(1000);
      expect(await refusedWithin(chained, 1000)).toBeLessThan(1000);
      expect((await whoami(s3)).status).toBe(200);

      const byRole = await revoke(a, { roleName: r0.roleName });
      expect(byRole.body.revoked).toBe(1);
      await refusedWithin(s3, 1000);

      const st = keysOf((await sts(u.keys, 'get-session-token')).body);
      const byPrincipal = await revoke(a, { principalArn: u.arn });
      expect(byPrincipal.body.revoked).toBeGreaterThanOrEqual(1);
      await refusedWithin(st, 1000);

      const old = keysOf((await sts(u.keys, 'get-session-token')).body);
      await sleep(20);
      const cut = new Date().toISOString();
      await sleep(20);
      const fresh = keysOf((await sts(u.keys, 'get-session-token')).body);
      const before = await revoke(a, { all: true, issuedBefore: cut });
      expect(before.status).toBe(200);
      await refusedWithin(old, 1000);
      expect((await whoami(fresh)).status).toBe(200);

      const list = await t.http.get(`/v1/accounts/${a.accountId}/sts/sessions?active=false&principalArn=${encodeURIComponent(u.arn)}`).set(bearer(a.rootToken));
      expect(list.status).toBe(200);
      expect(list.body.sessions.length).toBeGreaterThan(3);
      expect(JSON.stringify(list.body)).not.toContain(fresh.secretAccessKey);
      expect(JSON.stringify(list.body)).not.toContain(fresh.sessionToken!);
    });

    it('deleting a user revokes every session it obtained, chained ones included', async () => {
      const r0 = await role(t, a, trustPolicy(a.accountId), { inline: ASSUME_ANY });
      const u = await userWithKey(t, a, ASSUME_ANY);
      const s1 = keysOf((await sts(u.keys, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'gone1' })).body);
      const chained = keysOf((await sts(s1, 'assume-role', { RoleArn: r0.arn, RoleSessionName: 'gone2' })).body);
      const h = bearer(a.rootToken);
      const base = `/v1/accounts/${a.accountId}/users/${u.userName}`;
      expect((await t.http.patch(`${base}/access-keys/${u.keys.accessKeyId}`).set(h).send({ status: 'Inactive' })).status).toBe(200);
      expect((await t.http.delete(`${base}/access-keys/${u.keys.accessKeyId}`).set(h)).status).toBe(204);
      expect((await t.http.delete(`${base}/inline-policies/p`).set(h)).status).toBe(204);
      expect((await whoami(chained)).status).toBe(200);
      expect((await t.http.delete(base).set(h)).status).toBe(204);
      expect(await refusedWithin(s1, 1000)).toBeLessThan(1000);
      expect(await refusedWithin(chained, 1000)).toBeLessThan(1000);
      const rows = await t.prisma.stsSession.findMany({ where: { accessKeyId: { in: [s1.accessKeyId, chained.accessKeyId] } } });
      expect(rows.every((r) => r.revokedAt !== null)).toBe(true);
    });

    it('needs exactly one scope; another account can neither list nor revoke', async () => {
      expect((await revoke(a, {})).status).toBe(400);
      expect((await revoke(a, { all: true, roleName: 'x' })).status).toBe(400);
      expect((await revoke(a, { issuedBefore: 'yesterday', all: true })).status).toBe(400);
      const b = await accountWithRoot(t);
      const u = await userWithKey(t, a);
      const k = keysOf((await sts(u.keys, 'get-session-token')).body);
      const foreign = await t.http.post(`/v1/accounts/${a.accountId}/sts/revocations`).set(bearer(b.rootToken)).send({ accessKeyId: k.accessKeyId });
      expect(foreign.status).toBe(404);
      const own = await revoke(b, { accessKeyId: k.accessKeyId });
      expect(own.body.revoked).toBe(0);
      expect((await t.http.get(`/v1/accounts/${a.accountId}/sts/sessions`).set(bearer(b.rootToken))).status).toBe(404);
      expect((await whoami(k)).status).toBe(200);
    });
  });
});
