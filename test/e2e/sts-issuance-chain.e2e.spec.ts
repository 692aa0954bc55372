import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IssuanceWriter } from '../../src/modules/sts/issuance-writer.js';
import { AuditVerifyService } from '../../src/modules/audit/audit-verify.service.js';
import { accountWithRoot, bearer } from '../support/factories.js';
import { signedRequest } from '../support/sigv4-client.js';
import { GENESIS_HASH } from '../../src/modules/audit/audit-chain.js';
import { policyDoc, allow, userWithKey } from '../support/sts.js';
import { DB_KIND, startTwoInstances, uniq, type TestApp } from '../support/test-app.js';

/**
 * The STS group commit writes a batch in one statement on the heads each
 * instance expects; a head moved by another instance or by any other audited
 * change must send the batch through the locked path. Whatever the
 * interleaving, every chain stays gap-free and valid, and every issued
 * session has exactly one audit record.
 */
describe(`STS issuance on two instances keeps one valid chain per account (${DB_KIND})`, () => {
  let one: TestApp;
  let two: TestApp;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ one, two, close } = await startTwoInstances());
  });
  afterAll(async () => {
    await close?.();
  });

  it('concurrent issuances through both instances, interleaved with other audited changes and refusals', async () => {
    const accounts = [await accountWithRoot(one), await accountWithRoot(one)];
    const users = await Promise.all(accounts.map((a) => userWithKey(one, a, policyDoc([allow('sts:GetFederationToken')]))));
    const issued: string[][] = accounts.map(() => []);
    const jobs: Promise<unknown>[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 24; i++) {
        const k = i % 2;
        const t = (i + round) % 3 ? one : two;
        jobs.push(
          signedRequest(t, users[k]!.keys, 'POST', '/v1/sts/get-session-token', { body: { DurationSeconds: 900 } }).then((r) => {
            expect(r.status, JSON.stringify(r.body)).toBe(200);
            issued[k]!.push(r.body.Credentials.AccessKeyId);
          }),
        );
        if (i % 6 === 0) {
          // Other writers of the same chains: an audited change and an audited refusal.
          const a = accounts[k]!;
          jobs.push(t.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: uniq('ic-') }).then((r) => expect(r.status).toBe(201)));
          jobs.push(signedRequest(t, users[k]!.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: `arn:aws:iam::${a.accountId}:role/none`, RoleSessionName: 'refused' } }).then((r) => expect(r.status).toBe(403)));
        }
      }
      await Promise.all(jobs.splice(0));
    }
    for (const [k, a] of accounts.entries()) {
      const v = await one.app.get(AuditVerifyService).verify(a.accountId, {});
      expect(v.ok, JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))).toBe(true);
      const [h] = (await one.driver.query(`SELECT "seq"::text AS s FROM "audit_heads" WHERE "chain" = $1`, [a.accountId])) as { s: string }[];
      expect(v.lastSeq).toBe(BigInt(h!.s));
      expect(v.checked).toBe(Number(h!.s));
      const rows = (await one.driver.query(
        `SELECT "details"->>'issuedAccessKeyId' AS k FROM "audit_events" WHERE "chain" = $1 AND "action" = 'sts:GetSessionToken' AND "outcome" = 'success'`,
        [a.accountId],
      )) as { k: string }[];
      expect(rows.map((r) => r.k).sort()).toEqual([...issued[k]!].sort());
      const sessions = (await one.driver.query(`SELECT "accessKeyId" AS k FROM "sts_sessions" WHERE "accountId" = $1 AND "type" = 'SessionToken'`, [a.accountId])) as { k: string }[];
      expect(sessions.map((r) => r.k).sort()).toEqual([...issued[k]!].sort());
      const [first] = (await one.driver.query(`SELECT "prevHash" AS p FROM "audit_events" WHERE "chain" = $1 AND "seq" = 1`, [a.accountId])) as { p: string }[];
      expect(first!.p).toBe(GENESIS_HASH);
    }
  });

  it('many accounts at once: both lanes share two batches in flight, none waits for ever, every chain verifies', async () => {
    const accounts = await Promise.all(Array.from({ length: 8 }, () => accountWithRoot(one)));
    const users = await Promise.all(accounts.map((a) => userWithKey(one, a, policyDoc([allow('sts:GetFederationToken')]))));
    const writer = one.app.get(IssuanceWriter);
    const commit = (writer as unknown as { commit: (...a: unknown[]) => Promise<void> }).commit.bind(writer);
    let inFlight = 0;
    let most = 0;
    let batches = 0;
    const spy = vi.spyOn(writer as unknown as { commit: (...a: unknown[]) => Promise<void> }, 'commit').mockImplementation(async (...args: unknown[]) => {
      most = Math.max(most, ++inFlight);
      batches++;
      try {
        return await commit(...args);
      } finally {
        inFlight--;
      }
    });
    try {
      const results = await Promise.all(
        Array.from({ length: 160 }, (_, i) =>
          signedRequest(one, users[i % accounts.length]!.keys, 'POST', '/v1/sts/get-session-token', { body: { DurationSeconds: 900 } }),
        ),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    } finally {
      spy.mockRestore();
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(batches).toBeGreaterThan(1);
    for (const a of accounts) {
      const v = await one.app.get(AuditVerifyService).verify(a.accountId, {});
      expect(v.ok).toBe(true);
      const [n] = (await one.driver.query(`SELECT count(*)::int AS n FROM "sts_sessions" WHERE "accountId" = $1`, [a.accountId])) as { n: number }[];
      expect(n!.n).toBe(20);
    }
  });

  it('batched rows keep non-ASCII tags, session policy text and details exactly, and the chain verifies', async () => {
    const a = await accountWithRoot(one);
    const u = await userWithKey(one, a, policyDoc([allow('sts:GetFederationToken')]));
    const policy = '{"Version":"2012-10-17",\t"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::données/a\\\\b/ñ*"}]}\n';
    const tags = [{ Key: 'projet', Value: 'Zoë-東京 x/y=1+2@z' }, { Key: 'run', Value: '42' }];
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        signedRequest(i % 2 ? one : two, u.keys, 'POST', '/v1/sts/get-federation-token', { body: { Name: `fed-${i}`, Policy: policy, Tags: tags, DurationSeconds: 900 } }),
      ),
    );
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ids = results.map((r) => r.body.Credentials.AccessKeyId as string);
    const rows = (await one.driver.query(`SELECT "accessKeyId", "sessionPolicy", "tags", "policyArns" FROM "sts_sessions" WHERE "accountId" = $1 AND "type" = 'FederatedUser'`, [
      a.accountId,
    ])) as { accessKeyId: string; sessionPolicy: string; tags: unknown; policyArns: unknown }[];
    expect(rows.map((r) => r.accessKeyId).sort()).toEqual([...ids].sort());
    for (const r of rows) {
      expect(r.sessionPolicy).toBe(policy);
      expect(r.tags).toEqual({ projet: 'Zoë-東京 x/y=1+2@z', run: '42' });
      expect(r.policyArns).toEqual([]);
    }
    const events = (await one.driver.query(`SELECT "details" FROM "audit_events" WHERE "chain" = $1 AND "action" = 'sts:GetFederationToken' AND "outcome" = 'success'`, [
      a.accountId,
    ])) as { details: { tags: unknown; issuedAccessKeyId: string } }[];
    expect(events.map((e) => e.details.issuedAccessKeyId).sort()).toEqual([...ids].sort());
    for (const e of events) expect(e.details.tags).toEqual({ projet: 'Zoë-東京 x/y=1+2@z', run: '42' });
    const v = await one.app.get(AuditVerifyService).verify(a.accountId, {});
    expect(v.ok, JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))).toBe(true);
  });
});
