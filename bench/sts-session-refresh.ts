/**
 * What temporary credentials in use cost the database: SESSIONS role sessions each sign requests
 * (GetCallerIdentity, over REST, wrk cycling through them) for BENCH_SECONDS, and the database's
 * statement count over the run (pg_stat_database: transactions committed, each read outside a
 * transaction being its own) is printed with the request rate. Every session's cache entry is
 * refreshed from 400 ms of age on (SessionCredentialsResolver), so what is left is the refresh.
 *
 *   npm run build && DATABASE_URL=postgresql://… npx tsx bench/sts-session-refresh.ts
 *
 * SESSIONS (500), BENCH_SECONDS (10), BENCH_CONNS (16); BENCH_BROKER_ENTRY=<file> runs another build.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BROKER_NODE_ARGS, DURATION, assumableRole, createOperator, json, load, signedRequest, startServer, stopServer, type BenchRequest } from './lib.js';

const PORT = 18094;
const SESSIONS = Number(process.env.SESSIONS ?? 500);
const CONNS = Number(process.env.BENCH_CONNS ?? 16);

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL (PostgreSQL) is required: the figure is the server’s statement count');
  const base = `http://127.0.0.1:${PORT}`;
  const env: Record<string, string> = { PORT: String(PORT), LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), 'cb-bench-')), NODE_ENV: 'development' };
  const operatorToken = createOperator(env);
  const broker = await startServer(process.execPath, [...BROKER_NODE_ARGS, process.env.BENCH_BROKER_ENTRY ?? 'dist/src/main.js'], env, `${base}/health/live`);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { roleArn, key } = await assumableRole(base, operatorToken);
    const reqs: BenchRequest[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const body = JSON.stringify({ RoleArn: roleArn, RoleSessionName: `s${i}`, DurationSeconds: 3600 });
      const assume = await signedRequest(PORT, key, '/v1/sts/assume-role', body, 'application/json');
      const c = (await json(`${base}${assume.path}`, { method: 'POST', headers: assume.headers, body })).Credentials;
      const keys = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
      // The signer sends the session token as X-Amz-Security-Token.
      reqs.push(await signedRequest(PORT, keys, '/v1/sts/get-caller-identity', '{}', 'application/json'));
    }
    const check = await fetch(`${base}${reqs[0]!.path}`, { method: 'POST', headers: reqs[0]!.headers, body: reqs[0]!.body });
    if (check.status !== 200) throw new Error(`a session-signed request was refused: ${await check.text()}`);
    await load(base, CONNS, reqs, 3); // every session loaded and in use
    const commits = async () => Number((await db.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows[0].xact_commit);
    const before = await commits();
    const r = await load(base, CONNS, reqs, DURATION);
    const statements = (await commits()) - before;
    if (r.errors) throw new Error(`refused requests: ${r.problem}`);
    console.log(`${SESSIONS} sessions in use, ${CONNS} connections, ${DURATION} s: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms; database: ${(statements / DURATION).toFixed(0)} transactions/s (${(statements / DURATION / SESSIONS).toFixed(2)} per session per second)`);
  } finally {
    await db.end();
    stopServer(broker);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
