/**
 * STS issuance: AssumeRole over REST on the local issuer (SigV4-signed by an
 * IAM user, trust and identity policies checked, the session and its audit
 * record committed durably), at 1, 16 and 64 connections; the same load on
 * moto_server's AssumeRole as the peer; and 100 accounts issuing at once
 * against one account at 64 connections. Servers on CPU 0, the load generator on CPU 1.
 *
 *   npm run build && npx tsx bench/sts-assume-role.ts                 # embedded database
 *   npm run build && DATABASE_URL=postgresql://… npx tsx bench/sts-assume-role.ts
 *
 * BENCH_RUNS (3), BENCH_SECONDS (8), BENCH_CONNS (1,16,64), BENCH_ACCOUNTS (100);
 * BENCH_BROKER_ENTRY=<file> starts the broker through another entry point (e.g. a profiling wrapper);
 * BENCH_PHASE_SIGNAL=1 sends the broker SIGWINCH before each of its measurements (a wrapper can start a new profile there).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { BROKER_NODE_ARGS, CONNECTIONS, DURATION, RUNS, TRUST, assumeRoleRequest, createOperator, hasTaskset, measure, signedRequest, startServer, stopServer, MULTI_TOOL, toolFor, type BenchRequest, type LoadResult } from './lib.js';

const BROKER_PORT = 18092;
const MOTO_PORT = 18093;
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100);

async function motoRequest(endpoint: string): Promise<BenchRequest> {
  const keys = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: keys });
  const role = await iam.send(new CreateRoleCommand({ RoleName: `bench-${Date.now()}`, AssumeRolePolicyDocument: TRUST('123456789012') }));
  const body = new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: role.Role!.Arn!, RoleSessionName: 'bench', DurationSeconds: '900' }).toString();
  const req = await signedRequest(MOTO_PORT, keys, '/', body, 'application/x-www-form-urlencoded; charset=utf-8');
  const check = await fetch(endpoint, { method: 'POST', headers: req.headers, body });
  if (check.status !== 200) throw new Error(`moto AssumeRole refused: ${await check.text()}`);
  return req;
}

const row = (label: string, c: number, r: LoadResult, extra = '') =>
  console.log(`${label.padEnd(30)} ${String(c).padStart(5)} ${r.rps.toFixed(0).padStart(10)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}  ${extra}`);

async function main() {
  // The load generator side (this process and h2load or wrk) stays off the servers' CPU.
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-bench-'));
  const env: Record<string, string> = { PORT: String(BROKER_PORT), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', DATA_DIR: dataDir, NODE_ENV: 'development' };
  const operatorToken = createOperator(env);
  const broker = `http://127.0.0.1:${BROKER_PORT}`;
  const moto = `http://127.0.0.1:${MOTO_PORT}`;
  const children = [
    await startServer(process.execPath, [...BROKER_NODE_ARGS, process.env.BENCH_BROKER_ENTRY ?? 'dist/src/main.js'], env, `${broker}/health/live`),
    await startServer('moto_server', ['-H', '127.0.0.1', '-p', String(MOTO_PORT)], {}, `${moto}/moto-api/`, true),
  ];
  const phase = async (name: string) => {
    if (!process.env.BENCH_PHASE_SIGNAL) return;
    console.log(`phase: ${name} ${Date.now()}`);
    process.kill(children[0]!.pid!, 'SIGWINCH');
    await new Promise((r) => setTimeout(r, 500));
  };
  try {
    const one = await assumeRoleRequest(broker, BROKER_PORT, operatorToken);
    const many: BenchRequest[] = [];
    for (let i = 0; i < ACCOUNTS; i++) many.push(await assumeRoleRequest(broker, BROKER_PORT, operatorToken));
    const motoReq = await motoRequest(moto);
    console.log(`database: ${process.env.DATABASE_URL ? 'postgresql' : 'pglite'}; ${RUNS} runs × ${DURATION}s, medians; load: ${toolFor([one])} (broker, one account), ${MULTI_TOOL} (moto; broker, one request per account); taskset: ${hasTaskset}`);
    console.log(`${'target'.padEnd(30)} conns      req/s   p50 ms   p99 ms`);
    for (const c of CONNECTIONS) {
      await phase(`one account, ${c} connections`);
      const local = await measure(broker, c, [one], 'broker');
      // moto's server (Werkzeug) ends responses by closing the connection, which leaves h2load hanging at
      // the end of a run now and then: the peer runs under the multi-request generator.
      const peer = await measure(moto, c, [motoReq], 'moto', MULTI_TOOL);
      row('broker AssumeRole (local)', c, local, `${(local.rps / peer.rps).toFixed(1)}× moto`);
      row('moto_server AssumeRole', c, peer);
    }
    // Both sides of this ratio with the same load generator (h2load replays one request only).
    const c = 64;
    await phase(`one account, ${c} connections, ${MULTI_TOOL}`);
    const base = await measure(broker, c, [one], 'broker', MULTI_TOOL);
    await phase(`${ACCOUNTS} accounts, ${c} connections`);
    const spread = await measure(broker, c, many, 'broker, many accounts', MULTI_TOOL);
    row(`broker AssumeRole (${MULTI_TOOL})`, c, base);
    row(`broker AssumeRole, ${ACCOUNTS} accounts`, c, spread, `${((spread.rps / base.rps) * 100).toFixed(0)}% of one account`);
  } finally {
    for (const ch of children) stopServer(ch);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
