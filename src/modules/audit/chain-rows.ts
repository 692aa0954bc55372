import pg from 'pg';
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
const rowSql = (limit: number) => `SELECT "chain", "seq"::text AS "seq", to_char("time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "timeIso", "actorArn", "actorType", "accessKeyId", "sessionName", "sourceIdentity", "mfa",
  "action", "resourceArn", "outcome", "errorCode", "sourceIp", "userAgent", "requestId", "details", "prevHash", "hash"
  FROM "audit_events" WHERE "chain" = $1 AND "seq" > $2::bigint AND "seq" <= $3::bigint ORDER BY "audit_events"."seq" LIMIT ${limit}`;
const ROW_SQL = rowSql(CHAIN_BATCH);

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

/**
 * A record read as an array row: fields set in one constructor (one hidden
 * class, no per-column property lookups by name); the time stays in its ISO
 * form (what the canonical encoding uses) and becomes a Date only if asked.
 */
class ChainRow implements StoredRecord {
  chain: string;
  seq: bigint;
  timeIso: string;
  actorArn: string | null;
  actorType: string | null;
  accessKeyId: string | null;
  sessionName: string | null;
  sourceIdentity: string | null;
  mfa: boolean;
  action: string;
  resourceArn: string | null;
  outcome: string;
  errorCode: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: unknown;
  prevHash: string;
  hash: string;
  constructor(a: unknown[]) {
    this.chain = a[0] as string;
    this.seq = BigInt(a[1] as string);
    this.timeIso = a[2] as string;
    this.actorArn = a[3] as string | null;
    this.actorType = a[4] as string | null;
    this.accessKeyId = a[5] as string | null;
    this.sessionName = a[6] as string | null;
    this.sourceIdentity = a[7] as string | null;
    this.mfa = a[8] as boolean;
    this.action = a[9] as string;
    this.resourceArn = a[10] as string | null;
    this.outcome = a[11] as string;
    this.errorCode = a[12] as string | null;
    this.sourceIp = a[13] as string | null;
    this.userAgent = a[14] as string | null;
    this.requestId = a[15] as string | null;
    this.details = a[16];
    this.prevHash = a[17] as string;
    this.hash = a[18] as string;
  }
  get time(): Date {
    return new Date(this.timeIso);
  }
}

/** A PostgreSQL connection that runs pg Query objects (a pg Client, or a client taken from a Pool). */
export interface QueryRunner {
  query(q: pg.Query): unknown;
}

/**
 * Rows per query when rows are pushed as they are decoded: large (rows are
 * not kept, so the batch size costs no memory) but bounded, since a query is
 * read to its end: after a break, at most this many rows are decoded for
 * nothing.
 */
export const PUSH_BATCH = 20_000;

/**
 * Reads a chain's records (afterSeq, toSeq] in seq order and hands each to
 * `push` as soon as pg has decoded its row, synchronously, until `push`
 * returns false (the rest of the current query's rows are then dropped).
 * Nothing accumulates: each row is garbage as soon as it has been pushed
 * (and the one before it is replaced), so the young generation stays almost
 * empty. Collecting batches of rows, by contrast, keeps thousands of rows
 * (~20 objects each) alive across scavenges: copying and promoting them cost
 * more than half the time of verification.
 */
export async function pushChainRows(
  client: QueryRunner,
  chain: string,
  afterSeq: bigint,
  toSeq: bigint,
  push: (r: StoredRecord) => boolean,
  batch = PUSH_BATCH,
): Promise<void> {
  const text = rowSql(batch);
  const to = toSeq.toString();
  let after = afterSeq.toString();
  for (;;) {
    let count = 0;
    let last = after;
    let wanted = true;
    let failure: unknown = null;
    await new Promise<void>((resolve, reject) => {
      // Rows as arrays (cheaper to decode than pg's named-field objects); the types lack rowMode on Query.
      const q = new pg.Query<unknown[]>({ text, values: [chain, after, to], rowMode: 'array' } as pg.QueryConfig);
      q.on('row', (a) => {
        if (!wanted) return;
        count++;
        last = a[1] as string;
        try {
          wanted = push(new ChainRow(a));
        } catch (e) {
          // Thrown inside pg's message handler it would break the connection: rethrown once the query ends.
          failure = e;
          wanted = false;
        }
      });
      q.once('end', () => resolve());
      q.once('error', reject);
      client.query(q);
    });
    if (failure !== null) throw failure;
    if (!wanted || count < batch) return;
    after = last;
  }
}
