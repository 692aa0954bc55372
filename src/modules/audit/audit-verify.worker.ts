/**
 * Verifies one segment of a chain, (afterSeq, toSeq], in a worker thread with
 * its own PostgreSQL connection (AuditVerifyService's parallel path: row
 * decoding and hashing are the cost, and they run here, one segment per
 * core). The segment is anchored on the stored hash of record afterSeq
 * (given for the first segment); the main thread checks that the segments
 * join. Posts a SegmentOutcome and exits.
 *
 * Plain module (pg and the pure chain code only): loaded as compiled .js from
 * dist, or as .ts through tsx's loader when the service runs from source.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { ChainVerifier, type ChainVerificationResult } from '../../common/audit/chain-verify.js';
import { pushChainRows, storedHash, type RowSource } from './chain-rows.js';

export interface SegmentTask {
  connectionString: string;
  chain: string;
  afterSeq: bigint;
  toSeq: bigint;
  /** The anchor's hash when known (the range's own anchor); otherwise read from record afterSeq. */
  anchorHash: string | null;
  /** Digest checkpoints inside the segment: [seq, hash, source]. */
  checkpoints: [bigint, string, string][];
}

export type SegmentOutcome =
  | { kind: 'done'; anchorHash: string | null; result: ChainVerificationResult | null }
  | { kind: 'failed'; message: string };

async function run(task: SegmentTask): Promise<SegmentOutcome> {
  const client = new pg.Client({ connectionString: task.connectionString });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const source: RowSource = { query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[] };
    const anchorHash = task.anchorHash ?? (await storedHash(source, task.chain, task.afterSeq));
    // The record before the segment is missing: the main thread goes back to one reader for the exact report.
    if (anchorHash === null) return { kind: 'done', anchorHash: null, result: null };
    const checkpoints = new Map(task.checkpoints.map(([seq, hash, src]) => [seq, { hash, source: src }]));
    // Each row verified as soon as pg decodes it (no batch of rows kept alive).
    const v = new ChainVerifier({ chain: task.chain, anchor: { seq: task.afterSeq, hash: anchorHash }, checkpoints });
    await pushChainRows(client, task.chain, task.afterSeq, task.toSeq, (r) => v.push(r));
    return { kind: 'done', anchorHash, result: v.finish() };
  } finally {
    await client.end().catch(() => undefined);
  }
}

if (parentPort && workerData && (workerData as { segmentTask?: SegmentTask }).segmentTask) {
  const port = parentPort;
  run((workerData as { segmentTask: SegmentTask }).segmentTask).then(
    (outcome) => port.postMessage(outcome),
    (e: unknown) => port.postMessage({ kind: 'failed', message: e instanceof Error ? e.message : String(e) } satisfies SegmentOutcome),
  );
}
