/**
 * p50/p95 of filtered `auditEvents` pages of 50 through GraphQL (/graphql, as a
 * platform operator) on the account bench/audit-seed.ts filled (1,000,000
 * records): first pages and deep pages (following the cursor), for several
 * filters. The database's share is shown by EXPLAIN ANALYZE of one filtered
 * page. Sequential requests (one at a time): latency, not throughput.
 *
 *   npm run build && DATABASE_URL=postgresql://…/credbroker_bench npx tsx bench/audit-query.ts
 *
 * BENCH_QUERY_SAMPLES (40 per filter), BENCH_DEEP_PAGES (20: pages followed for the deep figure).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { BROKER_NODE_ARGS, startServer, stopServer } from './lib.js';
import { STATE_FILE, type SeedState } from './audit-seed.js';

const PORT = 18095;
const SAMPLES = Number(process.env.BENCH_QUERY_SAMPLES ?? 40);
const DEEP = Number(process.env.BENCH_DEEP_PAGES ?? 20);
const QUERY = `query Page($account: ID!, $filter: AuditFilter, $first: Int, $after: String) {
  auditEvents(account: $account, filter: $filter, first: $first, after: $after) {
    edges { cursor node { id seq time action outcome errorCode actorArn accessKeyId sourceIp sourceIdentity resourceArn requestId details } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must point at the database bench/audit-seed.ts filled');
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as SeedState;
  const env = { PORT: String(PORT), LOG_LEVEL: 'warn', DATABASE_URL: url, NODE_ENV: 'development', DATA_DIR: '/tmp/cb-audit-bench' };
  const broker = await startServer(process.execPath, [...BROKER_NODE_ARGS, 'dist/src/main.js'], env, `http://127.0.0.1:${PORT}/health/live`);
  const s = state.samples;
  const filters: [string, Record<string, unknown>][] = [
    ['none', {}],
    ['action', { actions: [s.action] }],
    ['actions (2)', { actions: ['iam:CreateUser', 'iam:DeleteAccessKey'] }],
    ['actorArn', { actorArn: s.actorArn }],
    ['outcome=denied', { outcome: 'denied' }],
    ['outcome=error', { outcome: 'error' }],
    ['outcome=success', { outcome: 'success' }],
    ['time range (1 day)', { from: s.from, to: s.to }],
    ['accessKeyId', { accessKeyId: s.accessKeyId }],
    ['sourceIp', { sourceIp: s.sourceIp }],
    ['actorArn + outcome', { actorArn: s.actorArn, outcome: 'denied' }],
    ['action + time range', { actions: ['sts:AssumeRole'], from: s.from, to: s.to }],
  ];
  const page = async (filter: Record<string, unknown>, after?: string) => {
    const t0 = performance.now();
    const r = await fetch(`http://127.0.0.1:${PORT}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${state.operatorToken}` },
      body: JSON.stringify({ query: QUERY, variables: { account: state.accountId, filter, first: 50, after } }),
    });
    const body = (await r.json()) as { data?: { auditEvents: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }; errors?: unknown };
    const ms = performance.now() - t0;
    if (!body.data) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
    return { ms, n: body.data.auditEvents.edges.length, next: body.data.auditEvents.pageInfo };
  };
  try {
    // Warm-up (connections, plans, caches).
    for (const [, f] of filters) await page(f);
    console.log(`GraphQL auditEvents, first: 50, ${state.records} records in one account; ${SAMPLES} samples per row; sequential`);
    console.log(`${'filter'.padEnd(22)} ${'first page p50/p95 ms'.padStart(22)} ${`pages 2..${DEEP + 1} p50/p95 ms`.padStart(24)}  rows/page`);
    const all: number[] = [];
    for (const [label, f] of filters) {
      const first: number[] = [];
      let n = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const r = await page(f);
        first.push(r.ms);
        n = r.n;
      }
      const deep: number[] = [];
      let after = (await page(f)).next;
      for (let i = 0; i < DEEP && after.hasNextPage; i++) {
        const r = await page(f, after.endCursor!);
        deep.push(r.ms);
        after = r.next;
      }
      all.push(...first, ...deep);
      const fmt = (xs: number[]) => (xs.length ? `${pct(xs, 0.5).toFixed(1)} / ${pct(xs, 0.95).toFixed(1)}` : 'n/a');
      console.log(`${label.padEnd(22)} ${fmt(first).padStart(22)} ${fmt(deep).padStart(24)}  ${n}`);
    }
    console.log(`all pages: p50 ${pct(all, 0.5).toFixed(1)} ms, p95 ${pct(all, 0.95).toFixed(1)} ms (target: p95 < 30 ms)`);

    // The database's share: the plan and time of one filtered page (the statement the repository runs is similar).
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const plan = await pool.query(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM "audit_events" WHERE "chain" = $1 AND "actorArn" = $2 AND "outcome" = 'denied' ORDER BY "seq" DESC LIMIT 51`,
      [state.accountId, s.actorArn],
    );
    console.log('\nEXPLAIN ANALYZE (actorArn + outcome, newest first, 51 rows):');
    for (const r of plan.rows) console.log('  ' + (r as Record<string, string>)['QUERY PLAN']);
    await pool.end();
  } finally {
    stopServer(broker);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
