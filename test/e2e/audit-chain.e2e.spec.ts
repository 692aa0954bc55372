import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestFromJson, digestSignatureValid, signingKeyId } from '../../src/common/audit/digest.js';
import { AuditDigestService } from '../../src/modules/audit/audit-digest.service.js';
import { AuditRetentionService } from '../../src/modules/audit/audit-retention.service.js';
import { AuditVerifyService } from '../../src/modules/audit/audit-verify.service.js';
import { accountWithRoot, ADMIN, bearer, READ_ONLY, userWithPolicies, type TestAccount } from '../support/factories.js';
import { DB_KIND, startTestApp, startTwoInstances, uniq, type TestApp } from '../support/test-app.js';

/** Audited changes: one record per created user. */
async function activity(t: TestApp, a: TestAccount, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await t.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: uniq('au-') });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
}

describe(`audit chain integrity (${DB_KIND})`, () => {
  let t: TestApp;
  let verifier: AuditVerifyService;
  beforeAll(async () => {
    t = await startTestApp();
    verifier = t.app.get(AuditVerifyService);
  });
  afterAll(async () => {
    await t?.close();
  });

  const sql = (q: string, p: unknown[] = []) => t.driver.query(q, p);
  const headSeq = async (chain: string) => BigInt((await sql('SELECT "seq"::text AS s FROM "audit_heads" WHERE "chain" = $1', [chain]) as { s: string }[])[0]!.s);

  async function freshChain(n = 12): Promise<TestAccount> {
    const a = await accountWithRoot(t);
    await activity(t, a, n);
    const v = await verifier.verify(a.accountId, {});
    expect(v.ok, JSON.stringify(v.brokenAt, (_k, x) => (typeof x === 'bigint' ? String(x) : x))).toBe(true);
    expect(v.lastSeq).toBe(await headSeq(a.accountId));
    return a;
  }

  it('a fresh chain verifies, whole and by range', async () => {
    const a = await freshChain();
    const head = await headSeq(a.accountId);
    const v = await verifier.verify(a.accountId, {});
    expect(v).toMatchObject({ ok: true, firstSeq: 1n, lastSeq: head, brokenAt: null });
    expect(v.checked).toBe(Number(head));
    const r = await verifier.verify(a.accountId, { fromSeq: 3n, toSeq: 7n });
    expect(r).toMatchObject({ ok: true, checked: 5, firstSeq: 3n, lastSeq: 7n });
    const byTime = await verifier.verify(a.accountId, { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) });
    expect(byTime).toMatchObject({ ok: true, checked: Number(head) });
    expect(await verifier.verify(a.accountId, { from: new Date(Date.now() + 3_600_000) })).toMatchObject({ ok: true, checked: 0 });
  });

  it('an edited record is caught at its position', async () => {
    const a = await freshChain();
    await sql(`UPDATE "audit_events" SET "outcome" = 'denied' WHERE "chain" = $1 AND "seq" = 6`, [a.accountId]);
    const v = await verifier.verify(a.accountId, {});
    expect(v.brokenAt).toMatchObject({ seq: 6n, kind: 'edited' });
    expect(v).toMatchObject({ ok: false, checked: 5, lastSeq: 5n });
  });

  it('a deleted record is caught at its position', async () => {
    const a = await freshChain();
    await sql(`DELETE FROM "audit_events" WHERE "chain" = $1 AND "seq" = 7`, [a.accountId]);
    expect((await verifier.verify(a.accountId, {})).brokenAt).toMatchObject({ seq: 7n, kind: 'deleted' });
    // Verifying a range that starts right after it sees its anchor missing.
    expect((await verifier.verify(a.accountId, { fromSeq: 8n })).brokenAt).toMatchObject({ seq: 7n, kind: 'deleted' });
  });

  it('reordered records are caught at the first moved position', async () => {
    const a = await freshChain();
    await sql(`UPDATE "audit_events" SET "seq" = -5 WHERE "chain" = $1 AND "seq" = 5`, [a.accountId]);
    await sql(`UPDATE "audit_events" SET "seq" = 5 WHERE "chain" = $1 AND "seq" = 6`, [a.accountId]);
    await sql(`UPDATE "audit_events" SET "seq" = 6 WHERE "chain" = $1 AND "seq" = -5`, [a.accountId]);
    expect((await verifier.verify(a.accountId, {})).brokenAt).toMatchObject({ seq: 5n, kind: 'reordered' });
  });

  it('an inserted record is caught at its position (the rest renumbered, the head moved)', async () => {
    const a = await freshChain();
    await sql(`UPDATE "audit_events" SET "seq" = "seq" + 1000000 WHERE "chain" = $1 AND "seq" >= 4`, [a.accountId]);
    await sql(`UPDATE "audit_events" SET "seq" = "seq" - 999999 WHERE "chain" = $1 AND "seq" >= 1000000`, [a.accountId]);
    await sql(
      `INSERT INTO "audit_events" ("chain", "seq", "time", "mfa", "action", "outcome", "prevHash", "hash")
       SELECT "chain", 4, now(), false, 'iam:CreateUser', 'success', "hash", repeat('a', 64) FROM "audit_events" WHERE "chain" = $1 AND "seq" = 3`,
      [a.accountId],
    );
    await sql(`UPDATE "audit_heads" SET "seq" = "seq" + 1 WHERE "chain" = $1`, [a.accountId]);
    expect((await verifier.verify(a.accountId, {})).brokenAt).toMatchObject({ seq: 4n, kind: 'inserted' });
  });

  it('a record added past the head is caught', async () => {
    const a = await freshChain();
    const head = await headSeq(a.accountId);
    await sql(
      `INSERT INTO "audit_events" ("chain", "seq", "time", "mfa", "action", "outcome", "prevHash", "hash")
       SELECT "chain", "seq" + 1, now(), false, 'iam:CreateUser', 'success', "hash", repeat('b', 64) FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint`,
      [a.accountId, head.toString()],
    );
    // The forged row's hash is wrong too; either way the first broken link is the row after the head.
    const v = await verifier.verify(a.accountId, {});
    expect(v.brokenAt?.seq).toBe(head + 1n);
  });

  it('a truncated tail is caught against the head row, and against the last digest when the head is rewound too', async () => {
    const a = await freshChain();
    const head = await headSeq(a.accountId);
    await sql(`DELETE FROM "audit_events" WHERE "chain" = $1 AND "seq" > $2::bigint`, [a.accountId, (head - 3n).toString()]);
    expect((await verifier.verify(a.accountId, {})).brokenAt).toMatchObject({ seq: head - 2n, kind: 'truncated' });

    const b = await freshChain();
    const bHead = await headSeq(b.accountId);
    await t.app.get(AuditDigestService).createDigest(b.accountId);
    await sql(`DELETE FROM "audit_events" WHERE "chain" = $1 AND "seq" > $2::bigint`, [b.accountId, (bHead - 2n).toString()]);
    await sql(
      `UPDATE "audit_heads" h SET "seq" = e."seq", "hash" = e."hash" FROM "audit_events" e WHERE h."chain" = $1 AND e."chain" = $1 AND e."seq" = $2::bigint`,
      [b.accountId, (bHead - 2n).toString()],
    );
    expect((await verifier.verify(b.accountId, {})).brokenAt).toMatchObject({ seq: bHead - 1n, kind: 'truncated' });
  });

  it('a rewritten (re-hashed) chain is caught by the signed digest', async () => {
    const a = await freshChain();
    await t.app.get(AuditDigestService).createDigest(a.accountId);
    // Edit record 4 and recompute every hash after it, head included: only the digest still knows the truth.
    const last = await headSeq(a.accountId);
    await sql(`UPDATE "audit_events" SET "outcome" = 'error' WHERE "chain" = $1 AND "seq" = 4`, [a.accountId]);
    const { chainHash } = await import('../../src/common/audit/chain.js');
    const { streamChainRows } = await import('../../src/modules/audit/audit-verify.service.js');
    let prev: string | null = null;
    for await (const r of streamChainRows(t.driver, a.accountId, 0n, last)) {
      const prevHash = prev ?? r.prevHash;
      const hash = chainHash(prevHash, r);
      await sql(`UPDATE "audit_events" SET "prevHash" = $3, "hash" = $4 WHERE "chain" = $1 AND "seq" = $2::bigint`, [a.accountId, r.seq.toString(), prevHash, hash]);
      prev = hash;
    }
    await sql(`UPDATE "audit_heads" SET "hash" = $2 WHERE "chain" = $1`, [a.accountId, prev]);
    const v = await verifier.verify(a.accountId, {});
    expect(v.brokenAt?.kind).toBe('edited');
    expect(v.brokenAt?.message).toMatch(/digest/);
  });

  it('digests: signed, chained, empty periods too, keys published', async () => {
    const a = await accountWithRoot(t);
    const h = bearer(a.rootToken);
    const d1 = await t.http.post(`/v1/accounts/${a.accountId}/audit/digests`).set(h);
    expect(d1.status, JSON.stringify(d1.body)).toBe(201);
    const d2 = await t.http.post(`/v1/accounts/${a.accountId}/audit/digests`).set(h);
    expect(d2.status).toBe(201);
    // Nothing happened in between: an empty period, same head, naming the previous digest.
    expect(d2.body).toMatchObject({ digestSeq: '2', headSeq: d1.body.headSeq, headHash: d1.body.headHash, previousDigestHash: d1.body.digestHash });
    expect(d1.body.previousDigestHash).toBe('0'.repeat(64));
    const keys = await t.http.get('/v1/audit/public-keys');
    expect(keys.status).toBe(200);
    const k = keys.body.keys.find((x: { keyId: string }) => x.keyId === d1.body.keyId);
    expect(k).toBeTruthy();
    const pub = createPublicKey(k.publicKeyPem);
    expect(signingKeyId(pub)).toBe(k.keyId);
    expect(signingKeyId(createPublicKey({ key: k.jwk, format: 'jwk' }))).toBe(k.keyId);
    expect(digestSignatureValid(pub, digestFromJson(d2.body))).toBe(true);
    expect(digestSignatureValid(pub, digestFromJson({ ...d2.body, headSeq: '999' }))).toBe(false);
    const list = await t.http.get(`/v1/accounts/${a.accountId}/audit/digests?maxItems=1`).set(h);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ isTruncated: true, marker: '1' });
    const next = await t.http.get(`/v1/accounts/${a.accountId}/audit/digests?after=1`).set(h);
    expect(next.body.digests.map((d: { digestSeq: string }) => d.digestSeq)).toEqual(['2']);
    expect(JSON.stringify(keys.body)).not.toMatch(/PRIVATE/);
  });

  it('periodic digests: one per chain and period, whoever signs', async () => {
    const a = await accountWithRoot(t);
    const svc = t.app.get(AuditDigestService);
    const end = new Date(Math.ceil(Date.now() / 1000) * 1000 + 5_000);
    await Promise.all([svc.signAll(end), svc.signAll(end)]);
    const rows = (await sql(`SELECT count(*)::int AS n FROM "audit_digests" WHERE "chain" = $1 AND "periodEnd" = $2`, [a.accountId, end])) as { n: number }[];
    expect(rows[0]!.n).toBe(1);
    expect(await svc.signAll(end)).toBe(0);
  });

  it('retention: prune up to the last digest keeps the rest verifiable from the anchor, and is audited', async () => {
    const a = await freshChain(10);
    const h = bearer(a.rootToken);
    expect((await t.http.put(`/v1/accounts/${a.accountId}/audit/retention`).set(h).send({ retentionDays: 0 })).status).toBe(400);
    expect((await t.http.put(`/v1/accounts/${a.accountId}/audit/retention`).set(h).send({ retentionDays: 'x' })).status).toBe(400);
    const put = await t.http.put(`/v1/accounts/${a.accountId}/audit/retention`).set(h).send({ retentionDays: 30 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ accountId: a.accountId, retentionDays: 30, anchor: null });
    // Nothing is 30 days old: nothing to prune (and the attempt is answered, not an error).
    const none = await t.http.post(`/v1/accounts/${a.accountId}/audit/prune`).set(h);
    expect(none.status, JSON.stringify(none.body)).toBe(200);
    expect(none.body.pruned).toBe(0);

    const digest = await t.app.get(AuditDigestService).createDigest(a.accountId);
    await activity(t, a, 3);
    const client = { requestId: 'test', sourceIp: '127.0.0.1' };
    const later = new Date(Date.now() + 31 * 86_400_000);
    const res = await t.app.get(AuditRetentionService).prune(a.accountId, null, client, later);
    // Only up to the last signed digest, even though everything is "old" by then.
    expect(res.throughSeq).toBe(digest!.headSeq.toString());
    expect(res.pruned).toBe(Number(digest!.headSeq));
    const left = (await sql(`SELECT min("seq")::text AS s FROM "audit_events" WHERE "chain" = $1`, [a.accountId])) as { s: string }[];
    expect(BigInt(left[0]!.s)).toBe(digest!.headSeq + 1n);
    const v = await verifier.verify(a.accountId, {});
    expect(v).toMatchObject({ ok: true, firstSeq: digest!.headSeq + 1n, lastSeq: await headSeq(a.accountId) });
    // The prune is on the chain.
    const last = (await sql(`SELECT "action", "details" FROM "audit_events" WHERE "chain" = $1 ORDER BY "seq" DESC LIMIT 1`, [a.accountId])) as { action: string; details: Record<string, unknown> }[];
    expect(last[0]).toMatchObject({ action: 'audit:PruneAuditRecords', details: { throughSeq: digest!.headSeq.toString() } });
    const get = await t.http.get(`/v1/accounts/${a.accountId}/audit/retention`).set(h);
    expect(get.body.anchor).toMatchObject({ seq: digest!.headSeq.toString() });
    // Tampering after the anchor is still caught: the first retained record deleted, or one edited.
    const first = digest!.headSeq + 1n;
    await sql(`UPDATE "audit_events" SET "action" = 'x:Y' WHERE "chain" = $1 AND "seq" = $2::bigint`, [a.accountId, (first + 1n).toString()]);
    expect((await verifier.verify(a.accountId, {})).brokenAt).toMatchObject({ seq: first + 1n, kind: 'edited' });
    await sql(`DELETE FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint`, [a.accountId, first.toString()]);
    expect((await verifier.verify(a.accountId, {})).brokenAt).toMatchObject({ seq: first, kind: 'deleted' });
    // A chain that does not verify is never pruned.
    await expect(t.app.get(AuditRetentionService).prune(a.accountId, null, client, new Date(Date.now() + 400 * 86_400_000))).resolves.toMatchObject({ pruned: 0 });
  });

  it('an unknown account is a clear 404', async () => {
    await expect(verifier.verify('000000000000', {})).rejects.toMatchObject({ code: 'NoSuchEntity' });
  });

  it('other accounts cannot reach digests or retention; permissions are needed', async () => {
    const a = await accountWithRoot(t);
    const b = await accountWithRoot(t);
    const hb = bearer(b.rootToken);
    for (const [method, path] of [
      ['get', 'audit/digests'], ['post', 'audit/digests'], ['get', 'audit/retention'], ['put', 'audit/retention'], ['post', 'audit/prune'], ['get', 'audit/export'],
    ] as const) {
      const r = await t.http[method](`/v1/accounts/${a.accountId}/${path}`).set(hb).send(method === 'put' ? { retentionDays: 5 } : undefined);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('NoSuchEntity');
    }
    const reader = await userWithPolicies(t, a, [READ_ONLY]);
    const denied = await t.http.put(`/v1/accounts/${a.accountId}/audit/retention`).set(bearer(reader.token)).send({ retentionDays: 5 });
    expect(denied.status).toBe(403);
    const admin = await userWithPolicies(t, a, [ADMIN]);
    expect((await t.http.put(`/v1/accounts/${a.accountId}/audit/retention`).set(bearer(admin.token)).send({ retentionDays: 5 })).status).toBe(200);
    // Nothing of b's changed.
    expect((await t.http.get(`/v1/accounts/${b.accountId}/audit/retention`).set(hb)).body.retentionDays).toBeNull();
  });
});

describe(`concurrent writers on two instances keep one valid chain (${DB_KIND})`, () => {
  let one: TestApp;
  let two: TestApp;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ one, two, close } = await startTwoInstances());
  });
  afterAll(async () => {
    await close?.();
  });

  it('many concurrent audited changes through both instances', async () => {
    const a = await accountWithRoot(one);
    const b = await accountWithRoot(two);
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      const t = i % 2 ? one : two;
      const acct = i % 3 ? a : b;
      jobs.push(t.http.post(`/v1/accounts/${acct.accountId}/users`).set(bearer(acct.rootToken)).send({ userName: uniq('cw-') }).then((r) => expect(r.status).toBe(201)));
      // Refusals are audited too (record() outside any change).
      jobs.push(t.http.get(`/v1/accounts/${acct.accountId}/users/${uniq('missing-')}`).set(bearer(acct.rootToken)));
    }
    await Promise.all(jobs);
    for (const acct of [a, b]) {
      const v = await one.app.get(AuditVerifyService).verify(acct.accountId, {});
      expect(v.ok).toBe(true);
      const [h] = (await one.driver.query(`SELECT "seq"::text AS s FROM "audit_heads" WHERE "chain" = $1`, [acct.accountId])) as { s: string }[];
      expect(v.lastSeq).toBe(BigInt(h!.s));
      expect(v.checked).toBe(Number(h!.s));
    }
  });
});
