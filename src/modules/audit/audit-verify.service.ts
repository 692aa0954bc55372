import { availableParallelism } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { GENESIS_HASH } from '../../common/audit/chain.js';
import { ChainVerifier, checkEnds, verifyChain, type ChainAnchor, type ChainVerificationResult, type ExpectedEnd } from '../../common/audit/chain-verify.js';
import { verifyDigestRun } from '../../common/audit/digest.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { SQL_DRIVER } from '../../db/database.module.js';
import { PgDriver, type SqlDriver } from '../../db/sql-driver.js';
import { AuditDigestRepository } from './audit-digest.repository.js';
import { runSegment, type SegmentOutcome } from './audit-verify.parallel.js';
import { pushChainRows, storedHash, streamChainBatches } from './chain-rows.js';

export interface ChainBreakView {
  seq: bigint;
  kind: string;
  message: string;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstSeq: bigint | null;
  lastSeq: bigint | null;
  brokenAt: ChainBreakView | null;
}

export interface VerifyRange {
  from?: Date;
  to?: Date;
  fromSeq?: bigint;
  toSeq?: bigint;
}

/** A range resolved against the chain: records (anchor.seq, endSeq]; `open` when it runs to the head. */
export interface ResolvedRange {
  chain: string;
  anchor: ChainAnchor;
  /** The record before the range is missing (deleted). */
  anchorMissing: boolean;
  endSeq: bigint;
  open: boolean;
  head: { seq: bigint; hash: string };
  /** The last pruned record, if any. */
  pruned: ChainAnchor | null;
}

export { CHAIN_BATCH, streamChainBatches, streamChainRows } from './chain-rows.js';

/** How verification spreads over threads (PostgreSQL only). */
export interface VerifyOptions {
  /** Ranges of more records than this are verified in parallel segments (default PARALLEL_MIN_ROWS). */
  parallelMinRows?: number;
  /** Worker threads (default: min(available parallelism, 4)); fewer than 2 means one reader in this thread. */
  workers?: number;
}

/** Below this, one reader in this thread is as fast (starting workers and connections costs tens of ms). */
export const PARALLEL_MIN_ROWS = 50_000;
const MAX_WORKERS = 4;

interface RecordsVerdict {
  checked: number;
  firstSeq: bigint | null;
  lastSeq: bigint | null;
  brokenAt: ChainBreakView | null;
}

/** Verifies an account's audit chain (or a range of it) against the database. */
@Injectable()
export class AuditVerifyService {
  constructor(
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
    private readonly digests: AuditDigestRepository,
  ) {}

  /**
   * Verifies the records of `accountId` in the range (by time or seq; the
   * whole retained chain by default): every hash, every link, gap-free
   * numbering, the hashes signed by digests, the digests' own signatures and
   * links, and that nothing is missing at the end (head row, latest digest).
   */
  async verify(accountId: string, range: VerifyRange = {}, opts: VerifyOptions = {}): Promise<ChainVerification> {
    const r = await this.resolveRange(accountId, range);
    const all = await this.digests.listDigests(r.chain);
    const keys = await this.digests.publicKeyObjects();
    const digestBreak = verifyDigestRun(all, keys);
    if (r.anchorMissing) {
      return { ok: false, checked: 0, firstSeq: null, lastSeq: null, brokenAt: { seq: r.anchor.seq, kind: 'deleted', message: `record ${r.anchor.seq} is missing` } };
    }
    const checkpoints = new Map<bigint, { hash: string; source: string }>();
    const ends: ExpectedEnd[] = [];
    for (const d of all) {
      if (d.headSeq > r.anchor.seq && d.headSeq <= r.endSeq) checkpoints.set(d.headSeq, { hash: d.headHash, source: `digest ${d.digestSeq}` });
    }
    if (r.open) {
      ends.push({ seq: r.head.seq, hash: r.head.hash, exact: true, source: 'the chain head' });
      const latest = all.at(-1);
      if (latest && latest.headSeq > r.head.seq) ends.unshift({ seq: latest.headSeq, exact: false, source: `digest ${latest.digestSeq}` });
    } else {
      ends.push({ seq: r.endSeq, exact: true, source: 'the end of the range', shortKind: 'deleted' });
    }
    const res = await this.verifyRecords(r, ends, checkpoints, opts);
    let brokenAt = res.brokenAt ?? (digestBreak && digestBreak.seq <= r.endSeq ? digestBreak : null);
    if (!brokenAt && r.open) {
      // Records past the head were added outside the chain (appends move the head in the same
      // transaction, so within one statement's snapshot none can be legitimately past it).
      const [extra] = await this.driver.query<{ s: string | null }>(
        `SELECT min(e."seq")::text AS s FROM "audit_events" e JOIN "audit_heads" h ON h."chain" = e."chain" WHERE e."chain" = $1 AND e."seq" > h."seq"`,
        [r.chain],
      );
      if (extra?.s) brokenAt = { seq: BigInt(extra.s), kind: 'inserted', message: `record ${extra.s} is past the chain head: it was added outside the chain` };
    }
    return { ok: !brokenAt, checked: res.checked, firstSeq: res.firstSeq, lastSeq: res.lastSeq, brokenAt };
  }

  /**
   * The records (anchor.seq, endSeq] checked against the chain rules, the
   * checkpoints and the ends. Large ranges on PostgreSQL are cut into
   * segments verified at the same time in worker threads (each anchored on
   * the stored hash of the record before it); the segments must join. From
   * the first segment that is not clean (a break, a gap at its end, a join
   * that does not match, a worker that failed), one reader in this thread
   * takes over from the last record before it: it finds the first break
   * exactly as a single pass over the whole range would (same position,
   * kind and message).
   */
  private async verifyRecords(
    r: ResolvedRange,
    ends: ExpectedEnd[],
    checkpoints: Map<bigint, { hash: string; source: string }>,
    opts: VerifyOptions,
  ): Promise<RecordsVerdict> {
    // On PostgreSQL each row is verified as soon as pg decodes it (as an array: cheaper than pg's named-field objects).
    const pool = this.driver instanceof PgDriver ? this.driver.pool : null;
    const sequential = async (anchor: ChainAnchor): Promise<ChainVerificationResult> => {
      const opts = { chain: r.chain, anchor, ends, checkpoints };
      if (!pool) return verifyChain(streamChainBatches(this.driver, r.chain, anchor.seq, r.endSeq), opts);
      const v = new ChainVerifier(opts);
      const client = await pool.connect();
      let broken = false;
      try {
        await pushChainRows(client, r.chain, anchor.seq, r.endSeq, (row) => v.push(row));
      } catch (e) {
        broken = true;
        throw e;
      } finally {
        client.release(broken);
      }
      return v.finish();
    };
    const total = r.endSeq - r.anchor.seq;
    const workers = Math.min(opts.workers ?? Math.min(availableParallelism(), MAX_WORKERS), Number(total));
    const connectionString = pool?.options.connectionString;
    if (!connectionString || workers < 2 || total <= BigInt(opts.parallelMinRows ?? PARALLEL_MIN_ROWS)) return sequential(r.anchor);

    // Segment k is (bounds[k], bounds[k + 1]].
    const bounds: bigint[] = [];
    for (let k = 0; k <= workers; k++) bounds.push(r.anchor.seq + (total * BigInt(k)) / BigInt(workers));
    const outcomes = await Promise.all(
      bounds.slice(0, -1).map((afterSeq, k) => {
        const toSeq = bounds[k + 1]!;
        const cps: [bigint, string, string][] = [];
        for (const [seq, cp] of checkpoints) if (seq > afterSeq && seq <= toSeq) cps.push([seq, cp.hash, cp.source]);
        return runSegment({ connectionString, chain: r.chain, afterSeq, toSeq, anchorHash: k === 0 ? r.anchor.hash : null, checkpoints: cps });
      }),
    );
    let lastHash = r.anchor.hash;
    for (let k = 0; k < outcomes.length; k++) {
      const o = outcomes[k]!;
      const clean = o.kind === 'done' && o.result !== null && o.result.ok && o.result.lastSeq === bounds[k + 1] && o.anchorHash === lastHash;
      if (!clean) {
        if (k === 0) return sequential(r.anchor);
        // Segments before k are verified and join: resume one record before the end of segment k - 1,
        // so that the reader has that record as its predecessor when it classifies a break.
        const prev = outcomes[k - 1] as Extract<SegmentOutcome, { kind: 'done' }>;
        const at = bounds[k]! - 1n;
        const hash = at === bounds[k - 1] ? prev.anchorHash : at === r.anchor.seq ? r.anchor.hash : await storedHash(this.driver, r.chain, at);
        if (hash === null) return sequential(r.anchor);
        const res = await sequential({ seq: at, hash });
        return { checked: res.checked + Number(at - r.anchor.seq), firstSeq: r.anchor.seq + 1n, lastSeq: res.lastSeq ?? at, brokenAt: res.brokenAt };
      }
      lastHash = o.result!.lastHash;
    }
    return { checked: Number(total), firstSeq: r.anchor.seq + 1n, lastSeq: r.endSeq, brokenAt: checkEnds(r.endSeq, lastHash, ends) };
  }

  /** Turns a time or seq range into records (anchor.seq, endSeq] of the chain. */
  async resolveRange(chain: string, range: VerifyRange): Promise<ResolvedRange> {
    const d = this.driver;
    const [head] = await d.query<{ seq: string; hash: string }>('SELECT "seq"::text AS "seq", "hash" FROM "audit_heads" WHERE "chain" = $1', [chain]);
    if (!head) throw DomainError.noSuchEntity('The account');
    const [prunedRow] = await d.query<{ seq: string; hash: string }>('SELECT "seq"::text AS "seq", "hash" FROM "audit_anchors" WHERE "chain" = $1', [chain]);
    const pruned = prunedRow ? { seq: BigInt(prunedRow.seq), hash: prunedRow.hash } : null;
    const headSeq = BigInt(head.seq);
    const base = pruned ?? { seq: 0n, hash: GENESIS_HASH };
    let start = base.seq + 1n;
    if (range.fromSeq !== undefined && range.fromSeq > start) start = range.fromSeq;
    if (range.from) {
      const [m] = await d.query<{ s: string | null }>('SELECT min("seq")::text AS s FROM "audit_events" WHERE "chain" = $1 AND "time" >= $2', [chain, range.from]);
      const s = m?.s ? BigInt(m.s) : headSeq + 1n;
      if (s > start) start = s;
    }
    let end = headSeq;
    let open = true;
    if (range.toSeq !== undefined && range.toSeq < end) {
      end = range.toSeq;
      open = false;
    }
    if (range.to) {
      const [m] = await d.query<{ s: string | null }>('SELECT min("seq")::text AS s FROM "audit_events" WHERE "chain" = $1 AND "time" > $2', [chain, range.to]);
      if (m?.s && BigInt(m.s) - 1n < end) {
        end = BigInt(m.s) - 1n;
        open = false;
      }
    }
    if (end < start - 1n) end = start - 1n;
    let anchor = base;
    let anchorMissing = false;
    if (start - 1n > base.seq) {
      const [prev] = await d.query<{ hash: string }>('SELECT "hash" FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint', [chain, (start - 1n).toString()]);
      anchor = { seq: start - 1n, hash: prev?.hash ?? '' };
      anchorMissing = !prev;
    }
    return { chain, anchor, anchorMissing, endSeq: end, open, head: { seq: headSeq, hash: head.hash }, pruned };
  }
}
