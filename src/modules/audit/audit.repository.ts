import { Injectable } from '@nestjs/common';
import type { Tx } from '../../db/prisma.service.js';
import type { SqlSession } from '../../db/sql-driver.js';
import { chainHash, GENESIS_HASH, type ChainedRecord } from './audit-chain.js';

export type NewAuditRecord = Omit<ChainedRecord, 'seq'>;

const EVENT_COLUMNS = [
  'chain', 'seq', 'time', 'actorArn', 'actorType', 'accessKeyId', 'sessionName', 'sourceIdentity', 'mfa', 'action',
  'resourceArn', 'outcome', 'errorCode', 'sourceIp', 'userAgent', 'requestId', 'details', 'prevHash', 'hash',
] as const;
const EVENT_CASTS: Record<number, string> = { 1: '::bigint', 2: '::timestamptz', 8: '::boolean', 16: '::jsonb' };

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
   * heads move in one update. Each chain ends exactly as if its records had
   * been appended one by one, in the order given.
   */
  async appendBatch(s: SqlSession, byChain: Map<string, NewAuditRecord[]>): Promise<void> {
    const chains = [...byChain.keys()].filter((c) => byChain.get(c)!.length).sort();
    if (!chains.length) return;
    const heads = await s.query<{ chain: string; seq: string | number | bigint; hash: string }>(
      'SELECT "chain", "seq", "hash" FROM "audit_heads" WHERE "chain" = ANY($1::text[]) ORDER BY "chain" FOR UPDATE',
      [chains],
    );
    const byName = new Map(heads.map((h) => [h.chain, h]));
    // One array parameter per column (unnest): a small statement whatever the batch size.
    const columns: unknown[][] = EVENT_COLUMNS.map(() => []);
    const moved: unknown[] = [];
    for (const chain of chains) {
      const head = byName.get(chain);
      if (!head) throw new Error(`audit chain ${chain} has no head`);
      let seq = BigInt(head.seq);
      let prev = head.hash;
      for (const rec of byChain.get(chain)!) {
        seq += 1n;
        const hash = chainHash(prev, { ...rec, chain, seq });
        const values = [
          chain, seq.toString(), rec.time.toISOString(), rec.actorArn, rec.actorType, rec.accessKeyId, rec.sessionName, rec.sourceIdentity, String(rec.mfa), rec.action,
          rec.resourceArn, rec.outcome, rec.errorCode, rec.sourceIp, rec.userAgent, rec.requestId,
          rec.details === null || rec.details === undefined ? null : JSON.stringify(rec.details), prev, hash,
        ];
        values.forEach((v, i) => columns[i]!.push(v));
        prev = hash;
      }
      moved.push(chain, seq.toString(), prev);
    }
    // The records and the moved heads in one statement (one round trip less while the heads are locked).
    const n = EVENT_COLUMNS.length;
    const [headChains, headSeqs, headHashes] = [0, 1, 2].map((k) => moved.filter((_, i) => i % 3 === k));
    await s.query(
      `WITH inserted AS (
         INSERT INTO "audit_events" (${EVENT_COLUMNS.map((c) => `"${c}"`).join(',')})
         SELECT ${EVENT_COLUMNS.map((c, i) => `"${c}"${EVENT_CASTS[i] ?? ''}`).join(',')}
         FROM unnest(${EVENT_COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(',')}) AS t(${EVENT_COLUMNS.map((c) => `"${c}"`).join(',')})
         RETURNING 1)
       UPDATE "audit_heads" h SET "seq" = v.seq, "hash" = v.hash, "updatedAt" = now()
         FROM unnest($${n + 1}::text[], $${n + 2}::bigint[], $${n + 3}::text[]) AS v(chain, seq, hash)
        WHERE h."chain" = v.chain`,
      [...columns, headChains, headSeqs, headHashes],
    );
  }
}
