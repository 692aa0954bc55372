import { Injectable } from '@nestjs/common';
import type { Tx } from '../../db/prisma.service.js';
import { columnList, jsonRecordset, type JsonColumn } from '../../db/json-rows.js';
import type { SqlSession } from '../../db/sql-driver.js';
import { chainHash, GENESIS_HASH, type ChainedRecord, type StoredRecord } from './audit-chain.js';

export type NewAuditRecord = Omit<ChainedRecord, 'seq'>;

/** audit_events' columns as the inserts send them (one JSON row object per record, keys as named here). */
const EVENT_COLUMNS: readonly JsonColumn[] = [
  ['chain', 'text'], ['seq', 'bigint'], ['time', 'timestamptz'], ['actorArn', 'text'], ['actorType', 'text'], ['accessKeyId', 'text'],
  ['sessionName', 'text'], ['sourceIdentity', 'text'], ['mfa', 'boolean'], ['action', 'text'], ['resourceArn', 'text'], ['outcome', 'text'],
  ['errorCode', 'text'], ['sourceIp', 'text'], ['userAgent', 'text'], ['requestId', 'text'], ['details', 'jsonb'], ['prevHash', 'text'], ['hash', 'text'],
];

/** One audit_events row as sent: a stored record with its sequence number and time as text (EVENT_COLUMNS' keys). */
type EventRow = Omit<StoredRecord, 'seq' | 'time'> & { seq: string; time: string };

/** The audit chain's only writer. */
@Injectable()
export class AuditRepository {
  /** Creates the head of a new chain (an account's), in the account's creation transaction. */
  async createChain(tx: Tx, chain: string): Promise<void> {
    await tx.auditHead.create({ data: { chain, seq: 0n, hash: GENESIS_HASH } });
  }

  /**
   * Appends a record inside the caller's transaction. Locking the chain's head
   * row orders writers of one chain (gap-free sequence, valid links) while
   * other chains proceed in parallel; the lock ends with the transaction.
   */
  async append(tx: Tx, rec: NewAuditRecord): Promise<bigint> {
    const heads = await tx.$queryRaw<{ seq: bigint; hash: string }[]>`
      SELECT "seq", "hash" FROM "audit_heads" WHERE "chain" = ${rec.chain} FOR UPDATE`;
    const head = heads[0];
    if (!head) throw new Error(`audit chain ${rec.chain} has no head`);
    const seq = BigInt(head.seq) + 1n;
    const full: ChainedRecord = { ...rec, seq };
    const hash = chainHash(head.hash, full);
    await tx.auditEvent.create({
      data: {
        ...full,
        details: (rec.details ?? undefined) as never,
        prevHash: head.hash,
        hash,
      },
    });
    await tx.$executeRaw`UPDATE "audit_heads" SET "seq" = ${seq}, "hash" = ${hash}, "updatedAt" = now() WHERE "chain" = ${rec.chain}`;
    return seq;
  }

  /**
   * Appends records to one or more chains in one go (group commit): the heads
   * are locked in one statement, in chain order (so concurrent batches cannot
   * deadlock), the records of every chain go in one multi-row insert and the
   * heads move in the same statement. Each chain ends exactly as if its
   * records had been appended one by one, in the order given. Returns the
   * chains' new heads (valid once the caller's transaction commits).
   */
  async appendBatch(s: SqlSession, byChain: Map<string, NewAuditRecord[]>): Promise<Map<string, ChainHead>> {
    const chains = [...byChain.keys()].filter((c) => byChain.get(c)!.length).sort();
    if (!chains.length) return new Map();
    const rows = await s.query<{ chain: string; seq: string | number | bigint; hash: string }>(
      'SELECT "chain", "seq", "hash" FROM "audit_heads" WHERE "chain" = ANY($1::text[]) ORDER BY "chain" FOR UPDATE',
      [chains],
    );
    const heads = new Map(rows.map((h) => [h.chain, { seq: BigInt(h.seq), hash: h.hash }]));
    const { rows: events, moves } = chainRecords(byChain, heads);
    // The records and the moved heads in one statement (one round trip less while the heads are locked).
    await s.query(
      `WITH inserted AS (${insertEvents(1)} RETURNING 1)
       UPDATE "audit_heads" h SET "seq" = v.seq, "hash" = v.hash, "updatedAt" = now()
         FROM unnest($2::text[], $3::bigint[], $4::text[]) AS v(chain, seq, hash)
        WHERE h."chain" = v.chain`,
      [JSON.stringify(events), moves.map((m) => m.chain), moves.map((m) => m.seq.toString()), moves.map((m) => m.hash)],
    );
    return new Map(moves.map((m) => [m.chain, { seq: m.seq, hash: m.hash }]));
  }

  /**
   * Appends records to one or more chains in ONE statement, on heads the caller
   * expects (the group commit keeps each chain's head in memory, including
   * batches still in flight): no separate lock round trip, so a chain's head
   * stays locked only while this statement runs and commits. The heads are
   * locked in chain order first (no deadlock with other batches or appenders);
   * a head that is not the expected one (another writer, another instance, a
   * failed batch this one was built on) is left as it is, and nothing of its
   * chain is written: neither its records nor the rows `extra` adds, which
   * must insert only where their chain is in the CTE `ok`. Run it outside a
   * transaction (the statement is its own) or inside one. The records are
   * chained (and the new heads known) at once, so that the caller can chain
   * its next batch onto them before this one is written; `run` resolves to
   * the chains written, the others' records must be appended again on fresh heads.
   *
   * In READ COMMITTED a head moved by a transaction that committed while this
   * statement waited for its lock is re-read (the UPDATE re-evaluates the
   * latest version), which is why the check is in the SET and RETURNING
   * expressions rather than in WHERE (a WHERE on the statement's snapshot
   * would miss a head that a pipelined batch has just moved).
   */
  prepareOnHeads(byChain: Map<string, NewAuditRecord[]>, expected: Map<string, ChainHead>): PreparedAppend {
    const { rows: events, moves } = chainRecords(byChain, expected);
    const heads = new Map(moves.map((m) => [m.chain, { seq: m.seq, hash: m.hash }]));
    const same = 'h."seq" = v.from_seq AND h."hash" = v.from_hash';
    return {
      heads,
      run: async (s, extra, only) => {
        // A subset of the chains (a run again after a pipelined predecessor committed): the same records, filtered.
        const ev = only ? events.filter((e) => only.has(e.chain)) : events;
        const mv = only ? moves.filter((m) => only.has(m.chain)) : moves;
        if (!mv.length) return new Set();
        const more = extra?.(7) ?? { ctes: [], params: [] };
        const rows = await s.query<{ chain: string }>(
          `WITH lk AS (SELECT "chain" FROM "audit_heads" WHERE "chain" = ANY($2::text[]) ORDER BY "chain" FOR UPDATE),
           mv AS (
             UPDATE "audit_heads" h SET
               "seq" = CASE WHEN ${same} THEN v.seq ELSE h."seq" END,
               "hash" = CASE WHEN ${same} THEN v.hash ELSE h."hash" END,
               "updatedAt" = CASE WHEN ${same} THEN now() ELSE h."updatedAt" END
               FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[]) AS v(chain, from_seq, from_hash, seq, hash)
              WHERE h."chain" = v.chain AND (SELECT count(*) FROM lk) >= 0
              RETURNING h."chain", h."seq" = v.seq AND h."hash" = v.hash AS moved),
           ok AS (SELECT "chain" FROM mv WHERE moved),
           ev AS (${insertEvents(1)} WHERE t."chain" IN (SELECT "chain" FROM ok))${more.ctes.map((c) => `,\n           ${c}`).join('')}
           SELECT "chain" FROM ok`,
          [
            JSON.stringify(ev),
            mv.map((m) => m.chain),
            mv.map((m) => m.fromSeq.toString()),
            mv.map((m) => m.fromHash),
            mv.map((m) => m.seq.toString()),
            mv.map((m) => m.hash),
            ...more.params,
          ],
          { prepare: true },
        );
        return new Set(rows.map((r) => r.chain));
      },
    };
  }
}

/** Records chained onto expected heads, ready to be written in one statement (AuditRepository.prepareOnHeads). */
export interface PreparedAppend {
  /** Each chain's head once the statement has written it. */
  heads: Map<string, ChainHead>;
  /**
   * Runs the statement; `extra` adds CTEs (numbered from `firstParam`) that
   * write only where their chain is in the CTE `ok`; `only` limits it to some
   * chains (the same records). Resolves to the chains written.
   */
  run(s: SqlSession, extra?: (firstParam: number) => { ctes: string[]; params: unknown[] }, only?: Set<string>): Promise<Set<string>>;
}

/** A chain's last sequence number and hash. */
export interface ChainHead {
  seq: bigint;
  hash: string;
}

interface HeadMove {
  chain: string;
  fromSeq: bigint;
  fromHash: string;
  seq: bigint;
  hash: string;
}

/** `INSERT INTO audit_events … SELECT … FROM json_to_recordset($param) AS t(…)`: the records as one JSON array of EventRow. */
function insertEvents(param: number): string {
  return `INSERT INTO "audit_events" (${columnList(EVENT_COLUMNS)})
         SELECT ${columnList(EVENT_COLUMNS, 't.')}
         FROM ${jsonRecordset(param, EVENT_COLUMNS)}`;
}

/** Chains the records onto the given heads (sorted by chain): the rows to insert and each chain's move. */
function chainRecords(byChain: Map<string, NewAuditRecord[]>, heads: Map<string, ChainHead>): { rows: EventRow[]; moves: HeadMove[] } {
  const chains = [...byChain.keys()].filter((c) => byChain.get(c)!.length).sort();
  const rows: EventRow[] = [];
  const moves: HeadMove[] = [];
  for (const chain of chains) {
    const head = heads.get(chain);
    if (!head) throw new Error(`audit chain ${chain} has no head`);
    let seq = head.seq;
    let prev = head.hash;
    for (const rec of byChain.get(chain)!) {
      seq += 1n;
      const time = rec.time.toISOString();
      // Properties before the spread (rec has neither): a spread followed by properties is slow on this V8.
      const hash = chainHash(prev, { seq, timeIso: time, ...rec });
      rows.push({
        chain, seq: seq.toString(), time, actorArn: rec.actorArn, actorType: rec.actorType, accessKeyId: rec.accessKeyId, sessionName: rec.sessionName,
        sourceIdentity: rec.sourceIdentity, mfa: rec.mfa, action: rec.action, resourceArn: rec.resourceArn, outcome: rec.outcome, errorCode: rec.errorCode,
        sourceIp: rec.sourceIp, userAgent: rec.userAgent, requestId: rec.requestId, details: rec.details ?? null, prevHash: prev, hash,
      });
      prev = hash;
    }
    moves.push({ chain, fromSeq: head.seq, fromHash: head.hash, seq, hash: prev });
  }
  return { rows, moves };
}
