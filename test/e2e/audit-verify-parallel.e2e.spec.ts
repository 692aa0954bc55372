import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH, type ChainedRecord } from '../../src/common/audit/chain.js';
import { PgDriver } from '../../src/db/sql-driver.js';
import { AuditDigestService } from '../../src/modules/audit/audit-digest.service.js';
import { runSegment } from '../../src/modules/audit/audit-verify.parallel.js';
import { AuditVerifyService, type VerifyRange } from '../../src/modules/audit/audit-verify.service.js';
import { ChainVerifier, verifyChain, type VerifyChainOptions } from '../../src/common/audit/chain-verify.js';
import { pushChainRows, streamChainRows } from '../../src/modules/audit/chain-rows.js';
import { accountWithRoot } from '../support/factories.js';
import { DB_KIND, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Chain verification in parallel segments (worker threads, PostgreSQL only)
 * must report exactly what one pass reports: the same first break (position,
 * kind, message), the same counts, whatever the tampering and wherever it
 * falls relative to the segments' edges. On PGlite both paths are the single
 * pass (the comparisons still hold).
 */
const WORKERS = 4;
const PARALLEL = { parallelMinRows: 0, workers: WORKERS };
const SINGLE = { workers: 1 };
const COLUMNS = [
  'chain', 'seq', 'time', 'actorArn', 'actorType', 'accessKeyId', 'sessionName', 'sourceIdentity', 'mfa', 'action',
  'resourceArn', 'outcome', 'errorCode', 'sourceIp', 'userAgent', 'requestId', 'details', 'prevHash', 'hash',
] as const;
const CASTS: Record<number, string> = { 1: '::bigint', 2: '::timestamptz', 8: '::boolean', 16: '::jsonb' };
const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));

describe(`audit chain verification in parallel segments (${DB_KIND})`, () => {
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
  const headSeq = async (chain: string) => BigInt(((await sql('SELECT "seq"::text AS s FROM "audit_heads" WHERE "chain" = $1', [chain])) as { s: string }[])[0]!.s);

  /** Appends n well-chained records after the head (as bench/audit-seed.ts does) and moves the head. */
  async function append(chain: string, n: number): Promise<void> {
    const [head] = (await sql('SELECT "seq"::text AS seq, "hash" FROM "audit_heads" WHERE "chain" = $1', [chain])) as { seq: string; hash: string }[];
    let seq = BigInt(head!.seq);
    let prev = head!.hash;
    const cols: unknown[][] = COLUMNS.map(() => []);
    for (let i = 0; i < n; i++) {
      seq += 1n;
      const rec: ChainedRecord = {
        chain, seq, time: new Date(Date.now() + i), actorArn: `arn:aws:iam::${chain}:user/u${i % 5}`, actorType: 'IAMUser',
        accessKeyId: i % 3 ? 'AKIAEXAMPLEEXAMPLE01' : null, sessionName: null, sourceIdentity: i % 4 ? null : 'alice', mfa: i % 2 === 0,
        action: 'iam:CreateUser', resourceArn: `arn:aws:iam::${chain}:user/n${i}`, outcome: i % 7 ? 'success' : 'denied',
        errorCode: i % 7 ? null : 'AccessDenied', sourceIp: '10.0.0.1', userAgent: 'ua "quoted" \u00e9', requestId: `req-${seq}`,
        details: i % 2 ? { z: 1, a: [i, { y: 'x' }] } : null,
      };
      const hash = chainHash(prev, rec);
      const values = [
        chain, seq.toString(), rec.time.toISOString(), rec.actorArn, rec.actorType, rec.accessKeyId, rec.sessionName, rec.sourceIdentity, String(rec.mfa),
        rec.action, rec.resourceArn, rec.outcome, rec.errorCode, rec.sourceIp, rec.userAgent, rec.requestId, rec.details === null ? null : JSON.stringify(rec.details), prev, hash,
      ];
      values.forEach((v, k) => cols[k]!.push(v));
      prev = hash;
    }
    await t.driver.transaction(async (s) => {
      await s.query(
        `INSERT INTO "audit_events" (${COLUMNS.map((c) => `"${c}"`).join(',')})
         SELECT ${COLUMNS.map((c, i) => `"${c}"${CASTS[i] ?? ''}`).join(',')}
         FROM unnest(${COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(',')}) AS t(${COLUMNS.map((c) => `"${c}"`).join(',')})`,
        cols,
      );
      await s.query('UPDATE "audit_heads" SET "seq" = $2::bigint, "hash" = $3 WHERE "chain" = $1', [chain, seq.toString(), prev]);
    });
  }

  /** A chain of a few hundred records that verifies. */
  async function freshChain(n = 240): Promise<{ chain: string; head: bigint }> {
    const a = await accountWithRoot(t);
    await append(a.accountId, n);
    const head = await headSeq(a.accountId);
    const v = await verifier.verify(a.accountId, {}, PARALLEL);
    expect(v, show(v)).toMatchObject({ ok: true, checked: Number(head), firstSeq: 1n, lastSeq: head });
    return { chain: a.accountId, head };
  }

  /** Segment edges as the service cuts a whole chain: segment k is (edge(k), edge(k + 1)]. */
  const edge = (head: bigint, k: number, anchor = 0n) => anchor + ((head - anchor) * BigInt(k)) / BigInt(WORKERS);

  /** Verifies both ways and demands the same verdict; returns it. */
  async function both(chain: string, range: VerifyRange = {}) {
    const single = await verifier.verify(chain, range, SINGLE);
    const parallel = await verifier.verify(chain, range, PARALLEL);
    expect(show(parallel)).toBe(show(single));
    return parallel;
  }

  it.runIf(DB_KIND === 'postgres')('a worker thread verifies a segment from source (the .ts worker loads under vitest)', async () => {
    const { chain, head } = await freshChain(60);
    const connectionString = (t.driver as PgDriver).pool.options.connectionString!;
    const mid = head / 2n;
    const out = await runSegment({ connectionString, chain, afterSeq: mid, toSeq: head, anchorHash: null, checkpoints: [] });
    expect(out.kind, show(out)).toBe('done');
    if (out.kind !== 'done') return;
    expect(out.result).toMatchObject({ ok: true, checked: Number(head - mid), firstSeq: mid + 1n, lastSeq: head });
    const [row] = (await sql('SELECT "hash" FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint', [chain, mid.toString()])) as { hash: string }[];
    expect(out.anchorHash).toBe(row!.hash);
    // A worker that cannot reach the database reports it (the service then verifies in one pass).
    const bad = await runSegment({ connectionString: 'postgresql://nobody@127.0.0.1:1/none', chain, afterSeq: 0n, toSeq: 1n, anchorHash: null, checkpoints: [] });
    expect(bad.kind).toBe('failed');
  });

  it('an intact chain verifies the same in segments, whole and by range', async () => {
    const { chain, head } = await freshChain();
    expect(await both(chain)).toMatchObject({ ok: true, checked: Number(head), firstSeq: 1n, lastSeq: head, brokenAt: null });
    expect(await both(chain, { fromSeq: 17n, toSeq: head - 9n })).toMatchObject({ ok: true, checked: Number(head - 9n - 16n), firstSeq: 17n, lastSeq: head - 9n });
    expect(await both(chain, { fromSeq: 3n, toSeq: 9n })).toMatchObject({ ok: true, checked: 7 });
  });

  it('an edited record is reported at its position, at and around segment edges', async () => {
    const { chain, head } = await freshChain();
    const spots = [edge(head, 1), edge(head, 1) + 1n, edge(head, 3) - 1n, head];
    for (const seq of spots) {
      const [orig] = (await sql('SELECT "action" FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint', [chain, seq.toString()])) as { action: string }[];
      await sql(`UPDATE "audit_events" SET "action" = 'x:Tampered' WHERE "chain" = $1 AND "seq" = $2::bigint`, [chain, seq.toString()]);
      const v = await both(chain);
      expect(v.brokenAt, `edit at ${seq}`).toMatchObject({ seq, kind: 'edited' });
      expect(v).toMatchObject({ ok: false, checked: Number(seq - 1n) });
      await sql(`UPDATE "audit_events" SET "action" = $3 WHERE "chain" = $1 AND "seq" = $2::bigint`, [chain, seq.toString(), orig!.action]);
    }
    expect((await verifier.verify(chain, {}, PARALLEL)).ok).toBe(true);
  });

  it('a deleted record is reported at its position, at and around segment edges', async () => {
    for (const at of [1, 2]) {
      const { chain, head } = await freshChain();
      const seq = at === 1 ? edge(head, 2) : edge(head, 2) + 1n;
      await sql(`DELETE FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint`, [chain, seq.toString()]);
      expect((await both(chain)).brokenAt, `delete at ${seq}`).toMatchObject({ seq, kind: 'deleted' });
      if (at === 2) continue;
      // A range starting right after it sees its anchor missing.
      expect((await both(chain, { fromSeq: seq + 1n })).brokenAt).toMatchObject({ seq, kind: 'deleted' });
      // A closed range ending on it is short.
      expect((await both(chain, { fromSeq: 2n, toSeq: seq })).brokenAt).toMatchObject({ seq, kind: 'deleted' });
    }
  });

  it('records deleted and the rest renumbered are reported where the gap starts', async () => {
    const { chain, head } = await freshChain();
    const seq = edge(head, 1) + 1n;
    await sql(`DELETE FROM "audit_events" WHERE "chain" = $1 AND "seq" IN ($2::bigint, $2::bigint + 1)`, [chain, seq.toString()]);
    await sql(`UPDATE "audit_events" SET "seq" = "seq" + 1000000 WHERE "chain" = $1 AND "seq" > $2::bigint`, [chain, seq.toString()]);
    await sql(`UPDATE "audit_events" SET "seq" = "seq" - 1000002 WHERE "chain" = $1 AND "seq" > 1000000`, [chain]);
    await sql(`UPDATE "audit_heads" SET "seq" = "seq" - 2 WHERE "chain" = $1`, [chain]);
    expect((await both(chain)).brokenAt).toMatchObject({ seq, kind: 'deleted' });
  });

  it('records swapped across a segment edge are reported as reordered at the first moved position', async () => {
    const { chain, head } = await freshChain();
    const a = edge(head, 2);
    const b = a + 1n;
    await sql(`UPDATE "audit_events" SET "seq" = -5 WHERE "chain" = $1 AND "seq" = $2::bigint`, [chain, a.toString()]);
    await sql(`UPDATE "audit_events" SET "seq" = $2::bigint WHERE "chain" = $1 AND "seq" = $3::bigint`, [chain, a.toString(), b.toString()]);
    await sql(`UPDATE "audit_events" SET "seq" = $2::bigint WHERE "chain" = $1 AND "seq" = -5`, [chain, b.toString()]);
    expect((await both(chain)).brokenAt).toMatchObject({ seq: a, kind: 'reordered' });
  });

  it('a record slipped in at a segment edge (the rest renumbered) is reported as inserted', async () => {
    const { chain, head } = await freshChain();
    const at = edge(head, 3) + 1n;
    await sql(`UPDATE "audit_events" SET "seq" = "seq" + 1000000 WHERE "chain" = $1 AND "seq" >= $2::bigint`, [chain, at.toString()]);
    await sql(`UPDATE "audit_events" SET "seq" = "seq" - 999999 WHERE "chain" = $1 AND "seq" >= 1000000`, [chain]);
    await sql(
      `INSERT INTO "audit_events" ("chain", "seq", "time", "mfa", "action", "outcome", "prevHash", "hash")
       SELECT "chain", $2::bigint, now(), false, 'iam:CreateUser', 'success', "hash", repeat('a', 64) FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint - 1`,
      [chain, at.toString()],
    );
    await sql(`UPDATE "audit_heads" SET "seq" = "seq" + 1 WHERE "chain" = $1`, [chain]);
    expect((await both(chain)).brokenAt).toMatchObject({ seq: at, kind: 'inserted' });
  });

  it('a truncated tail, and records past the head, are reported as before', async () => {
    const a = await freshChain();
    await sql(`DELETE FROM "audit_events" WHERE "chain" = $1 AND "seq" > $2::bigint`, [a.chain, (a.head - 3n).toString()]);
    expect((await both(a.chain)).brokenAt).toMatchObject({ seq: a.head - 2n, kind: 'truncated' });

    const b = await freshChain();
    await sql(
      `INSERT INTO "audit_events" ("chain", "seq", "time", "mfa", "action", "outcome", "prevHash", "hash")
       SELECT "chain", "seq" + 1, now(), false, 'iam:CreateUser', 'success', "hash", repeat('b', 64) FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint`,
      [b.chain, b.head.toString()],
    );
    expect((await both(b.chain)).brokenAt).toMatchObject({ seq: b.head + 1n, kind: 'inserted' });

    // The head row rewritten: the last segment's hash no longer matches it.
    const c = await freshChain();
    await sql(`UPDATE "audit_heads" SET "hash" = repeat('c', 64) WHERE "chain" = $1`, [c.chain]);
    expect((await both(c.chain)).brokenAt).toMatchObject({ seq: c.head, kind: 'edited' });
  });

  it('a rewritten (re-hashed) chain is caught by the signed digest inside a segment', async () => {
    const { chain } = await freshChain();
    await t.app.get(AuditDigestService).createDigest(chain);
    await append(chain, 40);
    const head = await headSeq(chain);
    const from = edge(head, 1) - 2n;
    await sql(`UPDATE "audit_events" SET "outcome" = 'error' WHERE "chain" = $1 AND "seq" = $2::bigint`, [chain, from.toString()]);
    let prev: string | null = null;
    for await (const r of streamChainRows(t.driver, chain, from - 1n, head)) {
      const prevHash = prev ?? r.prevHash;
      const hash = chainHash(prevHash, r);
      await sql(`UPDATE "audit_events" SET "prevHash" = $3, "hash" = $4 WHERE "chain" = $1 AND "seq" = $2::bigint`, [chain, r.seq.toString(), prevHash, hash]);
      prev = hash;
    }
    await sql(`UPDATE "audit_heads" SET "hash" = $2 WHERE "chain" = $1`, [chain, prev]);
    const v = await both(chain);
    expect(v.brokenAt?.kind).toBe('edited');
    expect(v.brokenAt?.message).toMatch(/digest/);
  });
  it.runIf(DB_KIND === 'postgres')('the push reader (rows verified as pg decodes them) reports what the batch reader does, across query batches', async () => {
    const { chain, head } = await freshChain(60);
    const pool = (t.driver as PgDriver).pool;
    const opts: VerifyChainOptions = { chain, anchor: { seq: 0n, hash: GENESIS_HASH }, ends: [{ seq: head, exact: true, source: 'the chain head' }] };
    /** Verifies through pushChainRows in queries of `batch` rows; counts the records handed over. */
    const pushed = async (batch: number) => {
      const v = new ChainVerifier(opts);
      let fed = 0;
      const client = await pool.connect();
      try {
        await pushChainRows(client, chain, 0n, head, (r) => (fed++, v.push(r)), batch);
      } finally {
        client.release();
      }
      return { res: v.finish(), fed };
    };
    const compare = async () => {
      const ref = await verifyChain(streamChainRows(t.driver, chain, 0n, head), opts);
      for (const batch of [1, 7, 8, 1000]) expect(show((await pushed(batch)).res), `batch ${batch}`).toBe(show(ref));
      return ref;
    };
    expect(await compare()).toMatchObject({ ok: true, checked: Number(head) });
    // Swapped across a query edge (7 | 8): the lookahead that tells a reorder from an edit spans two queries.
    await sql(`UPDATE "audit_events" SET "seq" = -5 WHERE "chain" = $1 AND "seq" = 14`, [chain]);
    await sql(`UPDATE "audit_events" SET "seq" = 14 WHERE "chain" = $1 AND "seq" = 15`, [chain]);
    await sql(`UPDATE "audit_events" SET "seq" = 15 WHERE "chain" = $1 AND "seq" = -5`, [chain]);
    expect((await compare()).brokenAt).toMatchObject({ seq: 14n, kind: 'reordered' });
    // Once the verdict is known no more records are handed over (the lookahead read, the rest dropped).
    const { fed } = await pushed(7);
    expect(fed).toBe(13 + 1 + 8);
    // Swapped back, then an edited record near the end: the lookahead stops short at the end of the range.
    await sql(`UPDATE "audit_events" SET "seq" = -5 WHERE "chain" = $1 AND "seq" = 15`, [chain]);
    await sql(`UPDATE "audit_events" SET "seq" = 15 WHERE "chain" = $1 AND "seq" = 14`, [chain]);
    await sql(`UPDATE "audit_events" SET "seq" = 14 WHERE "chain" = $1 AND "seq" = -5`, [chain]);
    expect((await compare()).ok).toBe(true);
    await sql(`UPDATE "audit_events" SET "action" = 'x:Tampered' WHERE "chain" = $1 AND "seq" = $2::bigint`, [chain, (head - 2n).toString()]);
    expect((await compare()).brokenAt).toMatchObject({ seq: head - 2n, kind: 'edited' });
  });
});
