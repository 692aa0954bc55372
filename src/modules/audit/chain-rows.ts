import type { StoredRecord } from '../../common/audit/chain.js';

/**
 * Reading a chain's records from the database, in seq order, for
 * verification and export. Plain module (no Nest, no Prisma): the
 * verification worker (audit-verify.worker.ts) loads it too.
 */

/** What the reader needs: a SqlDriver, a SqlSession, or a worker's own connection. */
export interface RowSource {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** Records per keyset batch when streaming a chain. */
export const CHAIN_BATCH = 5000;

// The time comes as ISO text (exactly Date#toISOString's form): no timestamp parsing and re-formatting per record.
export const ROW_SQL = `SELECT "chain", "seq"::text AS "seq", to_char("time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "timeIso", "actorArn", "actorType", "accessKeyId", "sessionName", "sourceIdentity", "mfa",
  "action", "resourceArn", "outcome", "errorCode", "sourceIp", "userAgent", "requestId", "details", "prevHash", "hash"
  FROM "audit_events" WHERE "chain" = $1 AND "seq" > $2::bigint AND "seq" <= $3::bigint ORDER BY "audit_events"."seq" LIMIT ${CHAIN_BATCH}`;

type RawRow = Omit<StoredRecord, 'seq' | 'time'> & { seq: string; timeIso: string };

/** Turns the row into a record in place (no copy of 19 fields per record: this is the hot path). */
const toRecord = (r: RawRow): StoredRecord => {
  const rec = r as unknown as StoredRecord & { timeIso: string };
  rec.seq = BigInt(r.seq);
  rec.time = new Date(r.timeIso);
  return rec;
};

/**
 * Streams a chain's records (afterSeq, toSeq] in seq order, in keyset batches
 * of CHAIN_BATCH; the next batch is fetched while the current one is consumed.
 */
export async function* streamChainBatches(source: RowSource, chain: string, afterSeq: bigint, toSeq: bigint): AsyncGenerator<StoredRecord[]> {
  const fetch = (after: string) => source.query<RawRow>(ROW_SQL, [chain, after, toSeq.toString()]);
  let pending: Promise<RawRow[]> | null = fetch(afterSeq.toString());
  try {
    while (pending) {
      const rows: RawRow[] = await pending;
      pending = rows.length === CHAIN_BATCH ? fetch(rows[rows.length - 1]!.seq) : null;
      const out = new Array<StoredRecord>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = toRecord(rows[i]!);
      yield out;
    }
  } finally {
    await pending?.catch(() => undefined);
  }
}

/** The same, record by record. */
export async function* streamChainRows(source: RowSource, chain: string, afterSeq: bigint, toSeq: bigint): AsyncGenerator<StoredRecord> {
  for await (const batch of streamChainBatches(source, chain, afterSeq, toSeq)) yield* batch;
}

/** The stored hash of record `seq` of the chain (null when there is none). */
export async function storedHash(source: RowSource, chain: string, seq: bigint): Promise<string | null> {
  const [row] = await source.query<{ hash: string }>('SELECT "hash" FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint', [chain, seq.toString()]);
  return row?.hash ?? null;
}
