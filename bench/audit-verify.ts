/**
 * Chain verification speed (records/s) on the account bench/audit-seed.ts
 * filled: AuditVerifyService.verify (the service behind `credbroker audit
 * verify` and the GraphQL verifyAuditChain query) in this process, over the
 * whole chain, BENCH_RUNS times (median), in each mode of BENCH_VERIFY_MODES:
 * `single` (one reader in this thread: the path of PGlite and small ranges)
 * and `parallel` (the default for large ranges on PostgreSQL: segments in
 * worker threads); then once through GraphQL `verifyAuditChain` on the built
 * broker, when dist/ exists.
 *
 *   npm run build && DATABASE_URL=postgresql://…/credbroker_bench npx tsx bench/audit-verify.ts
 *
 * BENCH_RUNS (3), BENCH_VERIFY_MODES (single,parallel), BENCH_VERIFY_WORKERS
 * (the service's default: min(cores, 4)), BENCH_VERIFY_GRAPHQL (1; 0 skips the GraphQL run).
 * Target: at least 100,000 records/s.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig } from '../src/config/app-config.js';
import { openSqlDriver } from '../src/db/sql-driver.js';
import { AuditDigestRepository } from '../src/modules/audit/audit-digest.repository.js';
import { AuditVerifyService, type VerifyOptions } from '../src/modules/audit/audit-verify.service.js';
import { STATE_FILE, type SeedState } from './audit-seed.js';
import { BROKER_NODE_ARGS, startServer, stopServer } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MODES = (process.env.BENCH_VERIFY_MODES ?? 'single,parallel').split(',');
const WORKERS = process.env.BENCH_VERIFY_WORKERS ? Number(process.env.BENCH_VERIFY_WORKERS) : undefined;
const MODE_OPTIONS: Record<string, VerifyOptions> = { single: { workers: 1 }, parallel: { workers: WORKERS } };
const PORT = 18096;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must point at the database bench/audit-seed.ts filled');
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as SeedState;
  const config = loadConfig({ ...process.env, NODE_ENV: 'development', DATA_DIR: 'memory://', MASTER_KEY: `bench:${Buffer.alloc(32, 1).toString('base64')}` });
  const driver = await openSqlDriver(config.database);
  const verifier = new AuditVerifyService(driver, new AuditDigestRepository(driver));
  for (const mode of MODES) {
    const opts = MODE_OPTIONS[mode];
    if (!opts) throw new Error(`BENCH_VERIFY_MODES: unknown mode ${mode} (single, parallel)`);
    const rates: number[] = [];
    let checked = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const v = await verifier.verify(state.accountId, {}, opts);
      const secs = (performance.now() - t0) / 1000;
      if (!v.ok) throw new Error(`chain reported broken: ${JSON.stringify(v.brokenAt, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`);
      checked = v.checked;
      rates.push(v.checked / secs);
      console.log(`  ${mode} run ${i + 1}: ${v.checked} records in ${secs.toFixed(2)} s = ${Math.round(v.checked / secs)} records/s`);
    }
    console.log(`AuditVerifyService.verify ${mode}, whole chain (${checked} records): median ${Math.round(median(rates))} records/s (target ≥ 100,000)`);
  }
  await driver.close();

  if (process.env.BENCH_VERIFY_GRAPHQL !== '0' && existsSync('dist/src/main.js')) {
    const env = { PORT: String(PORT), LOG_LEVEL: 'warn', DATABASE_URL: url, NODE_ENV: 'development', DATA_DIR: '/tmp/cb-audit-bench' };
    const broker = await startServer(process.execPath, [...BROKER_NODE_ARGS, 'dist/src/main.js'], env, `http://127.0.0.1:${PORT}/health/live`);
    try {
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${PORT}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${state.operatorToken}` },
        body: JSON.stringify({ query: 'query($a: ID!) { verifyAuditChain(account: $a) { ok checked } }', variables: { a: state.accountId } }),
      });
      const body = (await r.json()) as { data?: { verifyAuditChain: { ok: boolean; checked: number } }; errors?: unknown };
      const secs = (performance.now() - t0) / 1000;
      if (!body.data) console.log(`GraphQL verifyAuditChain failed: ${JSON.stringify(body.errors)}`);
      else console.log(`GraphQL verifyAuditChain: ok=${body.data.verifyAuditChain.ok}, ${body.data.verifyAuditChain.checked} records in ${secs.toFixed(2)} s = ${Math.round(body.data.verifyAuditChain.checked / secs)} records/s`);
    } finally {
      stopServer(broker);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
