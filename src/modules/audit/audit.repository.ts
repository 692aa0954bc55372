import { Injectable } from '@nestjs/common';
import type { Tx } from '../../db/prisma.service.js';
import { chainHash, GENESIS_HASH, type ChainedRecord } from './audit-chain.js';

export type NewAuditRecord = Omit<ChainedRecord, 'seq'>;

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
   * Appends several records of one chain in one statement (group commit): one
   * head lock, one multi-row insert and one head update for the whole batch.
   * Records keep their order; the chain is exactly as if appended one by one.
   */
  async appendMany(tx: Tx, chain: string, recs: NewAuditRecord[]): Promise<void> {
    if (recs.length === 0) return;
    const heads = await tx.$queryRaw<{ seq: bigint; hash: string }[]>`
      SELECT "seq", "hash" FROM "audit_heads" WHERE "chain" = ${chain} FOR UPDATE`;
    const head = heads[0];
    if (!head) throw new Error(`audit chain ${chain} has no head`);
    let seq = BigInt(head.seq);
    let prev = head.hash;
    const rows = recs.map((rec) => {
      seq += 1n;
      const full: ChainedRecord = { ...rec, chain, seq };
      const hash = chainHash(prev, full);
      const row = { ...full, details: (rec.details ?? undefined) as never, prevHash: prev, hash };
      prev = hash;
      return row;
    });
    await tx.auditEvent.createMany({ data: rows });
    await tx.$executeRaw`UPDATE "audit_heads" SET "seq" = ${seq}, "hash" = ${prev}, "updatedAt" = now() WHERE "chain" = ${chain}`;
  }
}
