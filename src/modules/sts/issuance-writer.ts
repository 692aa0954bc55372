import { Inject, Injectable } from '@nestjs/common';
import { SQL_DRIVER } from '../../db/database.module.js';
import type { SqlDriver } from '../../db/sql-driver.js';
import type { ChainHead } from '../audit/audit.repository.js';
import { AuditService, type AuditEntry } from '../audit/audit.service.js';
import { StsSessionsRepository, type NewStsSession } from './sts-sessions.repository.js';

/** What one issuance writes: the session row and its audit record. */
export interface Issuance {
  row: NewStsSession;
  audit: AuditEntry;
}

interface Pending {
  issuance: Issuance;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Most issuances committed in one transaction. */
const MAX_BATCH = 512;
/**
 * Independent commit lanes; an account always uses the same one. Two, not
 * more: each lane's batches are its own statements, so more lanes split the
 * same load into smaller batches and more statements (on this 2-core machine,
 * 100 accounts issuing at once did ~20% more with 2 lanes than with 4; a
 * batch statement's fixed cost, about 0.9 ms, is that of a dozen issuances in it).
 */
const LANES = 2;
/**
 * Batches in flight over all lanes. One account's lane gets both: the second is chained onto the
 * heads the first will leave, sent at once and waits on the heads' locks while the first commits.
 * With many accounts the lanes share them, so batches stay as large as one account's and PostgreSQL
 * flushes WAL half as often, while the two lanes' statements (on different chains) run in parallel.
 */
const MAX_IN_FLIGHT = 2;
/** Chains whose expected head is kept (the oldest is dropped beyond: it is read again when needed). */
const MAX_HEADS = 50_000;

interface Lane {
  queue: Pending[];
  inFlight: number;
  /** A batch started and not yet taken from the queue: it will take what is queued. */
  forming: boolean;
}

/**
 * Group commit of issued credentials. Each session row and its audit record
 * commit in the same transaction, and the caller's promise resolves only after
 * that commit: nothing is returned that is not durably recorded, nothing is
 * recorded without its audit. Accounts are spread over LANES independent
 * lanes (by a hash of the account ID); all lanes together have at most
 * MAX_IN_FLIGHT batches in flight, and the issuances that arrive meanwhile
 * commit together in the next one, whatever their accounts.
 *
 * A batch is ONE statement (its own transaction): the instance keeps each
 * chain's head (seq, hash) as it expects it, chains the records onto it, and
 * the statement locks the heads in chain order, moves each head only if it is
 * still the expected one, and inserts the audit records and session rows of
 * exactly those chains (AuditRepository.prepareOnHeads). A chain moved
 * meanwhile (another instance, any other audited change) writes nothing; its
 * issuances go through the locked path: one transaction that reads and locks
 * the heads first, inserts the sessions, then the records and the head moves
 * (also how a chain this instance has not seen yet is written, and how its
 * head becomes known). Lanes never wait for each other. If a batch fails, those
 * of its issuances not already committed (by its fast path, before its locked
 * path failed) are retried one by one, so one bad item cannot fail the others.
 */
@Injectable()
export class IssuanceWriter {
  private readonly lanes: Lane[] = Array.from({ length: LANES }, () => ({ queue: [], inFlight: 0, forming: false }));
  /** Batches in flight over all lanes (MAX_IN_FLIGHT). */
  private inFlightTotal = 0;
  /** Each chain's head as this instance expects it: after its last commit and the batches still in flight. */
  private readonly heads = new Map<string, ChainHead>();
  /** The latest batch in flight on each chain: the head it will leave and, once it is done, the chains it wrote. */
  private readonly inFlight = new Map<string, { head: ChainHead; written: Promise<Set<string>> }>();

  constructor(
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
    private readonly audit: AuditService,
    private readonly sessions: StsSessionsRepository,
  ) {}

  write(issuance: Issuance): Promise<void> {
    const lane = this.lanes[laneOf(issuance.audit.chain)]!;
    return new Promise<void>((resolve, reject) => {
      lane.queue.push({ issuance, resolve, reject });
      this.schedule();
    });
  }

  /** Starts batches while slots are free: each to the waiting lane with the fewest batches in flight. */
  private schedule(): void {
    while (this.inFlightTotal < MAX_IN_FLIGHT) {
      let next: Lane | undefined;
      for (const l of this.lanes) if (l.queue.length && !l.forming && (!next || l.inFlight < next.inFlight)) next = l;
      if (!next) return;
      void this.runBatch(next);
    }
  }

  /** One batch of the lane's queue; its slot then goes to whichever lane schedule() picks. */
  private async runBatch(lane: Lane): Promise<void> {
    lane.inFlight++;
    lane.forming = true;
    this.inFlightTotal++;
    try {
      // Let requests already being handled reach the queue first: on the embedded database the
      // SQL runs on this thread, so without this pause batches stay small.
      await new Promise((r) => setImmediate(r));
      const batch = lane.queue.splice(0, MAX_BATCH);
      lane.forming = false;
      if (lane.queue.length) this.schedule(); // more than one batch was waiting
      const committed = new Set<Issuance>();
      try {
        await this.commit(batch.map((p) => p.issuance), committed);
        for (const p of batch) p.resolve();
      } catch (e) {
        // What the batch's fast path committed before a later step failed stays committed: only the rest is retried.
        const left: Pending[] = [];
        for (const p of batch) (committed.has(p.issuance) ? p.resolve() : left.push(p));
        if (left.length === 1) left[0]!.reject(e);
        else for (const p of left) await this.commit([p.issuance]).then(p.resolve, p.reject);
      }
    } finally {
      lane.inFlight--;
      this.inFlightTotal--;
      this.schedule();
    }
  }

  /** Commits the items; `committed` collects those committed even when a later step throws. */
  private async commit(items: Issuance[], committed?: Set<Issuance>): Promise<void> {
    const warm: Issuance[] = [];
    const cold: Issuance[] = [];
    for (const i of items) (this.heads.has(i.audit.chain) ? warm : cold).push(i);
    if (warm.length) {
      const moved = new Set(await this.commitOnHeads(warm));
      for (const i of warm) (moved.has(i) ? cold.push(i) : committed?.add(i));
    }
    if (cold.length) await this.commitLocked(cold);
  }

  /**
   * The fast path: the batch chained onto the heads this instance expects,
   * written in one statement (no transaction round trips; the heads stay
   * locked only while it runs and commits). The expected heads include the
   * batches still in flight, so the next batch of a chain is prepared, sent
   * and waits on the head's lock while this one commits. Returns the items
   * whose chain had moved otherwise (another writer or instance, or a failed
   * batch this one was chained onto): nothing of theirs was written.
   */
  private async commitOnHeads(items: Issuance[]): Promise<Issuance[]> {
    const expected = new Map<string, ChainHead>();
    const before = new Map<string, Promise<Set<string>>>();
    for (const i of items) {
      const chain = i.audit.chain;
      if (expected.has(chain)) continue;
      const head = this.heads.get(chain)!;
      expected.set(chain, head);
      const p = this.inFlight.get(chain);
      if (p && sameHead(p.head, head)) before.set(chain, p.written);
    }
    const prepared = this.audit.prepareOnHeads(
      items.map((i) => i.audit),
      expected,
    );
    let settle!: (written: Set<string>) => void;
    const done = new Promise<Set<string>>((r) => (settle = r));
    for (const [chain, head] of prepared.heads) {
      this.remember(chain, head);
      this.inFlight.set(chain, { head, written: done });
    }
    const run = (only?: Set<string>) =>
      prepared.run(
        this.driver,
        (first) => {
          const ctes: string[] = [];
          const params: unknown[] = [];
          const { local, upstream } = split(only ? items.filter((i) => only.has(i.audit.chain)) : items);
          for (const [name, rows, skip] of [['sl', local, false], ['su', upstream, true]] as const) {
            if (!rows.length) continue;
            const part = this.sessions.insertCte(name, rows.map((i) => i.row), rows.map((i) => i.audit.chain), first + params.length, skip);
            ctes.push(part.cte);
            params.push(...part.params);
          }
          return { ctes, params };
        },
        only,
      );
    const written = new Set<string>();
    try {
      for (const c of await run()) written.add(c);
      // A chain this batch was pipelined behind (chained onto the head of a batch still in flight)
      // can reach the database first and find the head not moved yet: once that batch has written
      // the chain, the same records go again.
      const behind = new Set<string>();
      for (const [chain, p] of before) if (!written.has(chain) && (await p).has(chain)) behind.add(chain);
      if (behind.size) for (const c of await run(behind)) written.add(c);
    } catch (e) {
      written.clear();
      throw e;
    } finally {
      settle(written);
      for (const [chain, head] of prepared.heads) {
        if (!written.has(chain)) this.forget(chain, head);
        if (this.inFlight.get(chain)?.written === done) this.inFlight.delete(chain);
      }
    }
    const retry: Issuance[] = [];
    for (const i of items) if (!written.has(i.audit.chain)) retry.push(i);
    return retry;
  }

  /** The safe path (chains this instance does not know yet, or whose head moved): the heads read and locked first, in one transaction. */
  private async commitLocked(items: Issuance[]): Promise<void> {
    const { local, upstream } = split(items);
    const heads = await this.driver.transaction(async (s) => {
      await this.sessions.insertMany(s, local.map((i) => i.row));
      await this.sessions.insertMany(s, upstream.map((i) => i.row), true);
      return this.audit.appendBatch(s, items.map((i) => i.audit));
    });
    for (const [chain, head] of heads) this.remember(chain, head);
  }

  private remember(chain: string, head: ChainHead): void {
    if (!this.heads.has(chain) && this.heads.size >= MAX_HEADS) this.heads.delete(this.heads.keys().next().value!);
    this.heads.set(chain, head);
  }

  /** Drops an expected head, unless a later batch has replaced it already. */
  private forget(chain: string, head: ChainHead): void {
    const now = this.heads.get(chain);
    if (now && sameHead(now, head)) this.heads.delete(chain);
  }
}

const sameHead = (a: ChainHead, b: ChainHead) => a.seq === b.seq && a.hash === b.hash;

/** Local sessions, and AWS credentials recorded once however many callers they were handed to (shared calls, reuse). */
function split(items: Issuance[]): { local: Issuance[]; upstream: Issuance[] } {
  const local: Issuance[] = [];
  const upstream = new Map<string, Issuance>();
  for (const i of items) {
    if (i.row.issuer === 'local') local.push(i);
    else if (!upstream.has(i.row.accessKeyId)) upstream.set(i.row.accessKeyId, i);
  }
  return { local, upstream: [...upstream.values()] };
}

function laneOf(chain: string): number {
  let h = 0;
  for (let i = 0; i < chain.length; i++) h = (h * 31 + chain.charCodeAt(i)) >>> 0;
  return h % LANES;
}
