/**
 * SigV4-authenticated GET /v1/caller-identity vs a bare NestJS-Fastify JSON
 * route, at 1, 16 and 64 connections. The servers run pinned to CPU 0 and the
 * load generator to CPU 1 when `taskset` exists.
 *
 *   npm run build && npx tsx bench/sigv4-caller-identity.ts            # embedded database
 *   npm run build && DATABASE_URL=postgresql://… npx tsx bench/…       # PostgreSQL
 *
 * Prints requests/s and p50/p99 latency (medians of BENCH_RUNS runs). The load generator is wrk
 * (Debian package `wrk`, written in C) when installed, else autocannon (JS, which saturates well
 * below a bare Fastify route, so the baseline is then understated).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { CONNECTIONS, DURATION, RUNS, createOperator, hasTaskset, hasWrk, json, measure, newAccount, startServer, stopServer, type BenchRequest } from './lib.js';

const BROKER_PORT = 18090;
const BARE_PORT = 18091;

/** An IAM user with an access key; returns the signed GET /v1/caller-identity. */
async function signedCallerIdentity(base: string, operatorToken: string): Promise<BenchRequest> {
  const { accountId, h } = await newAccount(base, operatorToken);
  await json(`${base}/v1/accounts/${accountId}/users`, { method: 'POST', headers: h, body: JSON.stringify({ userName: 'bench' }) });
  const key = (await json(`${base}/v1/accounts/${accountId}/users/bench/access-keys`, { method: 'POST', headers: h })).accessKey;
  const signer = new SignatureV4({ credentials: key, region: 'us-east-1', service: 'sts', sha256: Sha256 });
  const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: BROKER_PORT, path: '/v1/caller-identity', query: {}, headers: { host: `127.0.0.1:${BROKER_PORT}` } });
  return { method: 'GET', path: '/v1/caller-identity', headers: signed.headers as Record<string, string> };
}

async function main() {
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-bench-'));
  const env: Record<string, string> = { PORT: String(BROKER_PORT), LOG_LEVEL: 'warn', DATA_DIR: dataDir, NODE_ENV: 'development' };
  const operatorToken = createOperator(env);
  const broker = `http://127.0.0.1:${BROKER_PORT}`;
  const bare = `http://127.0.0.1:${BARE_PORT}`;
  const children = [
    await startServer(process.execPath, [process.env.BENCH_BROKER_ENTRY ?? 'dist/src/main.js'], env, `${broker}/health/live`),
    await startServer(process.execPath, ['bench/bare-server.mjs'], { PORT: String(BARE_PORT) }, `${bare}/bare`),
  ];
  try {
    const sigv4 = await signedCallerIdentity(broker, operatorToken);
    const check = await fetch(`${broker}${sigv4.path}`, { headers: sigv4.headers });
    if (check.status !== 200) throw new Error(`signed request refused: ${await check.text()}`);
    console.log(`database: ${process.env.DATABASE_URL ? 'postgresql' : 'pglite'}; ${RUNS} runs × ${DURATION}s; load: ${hasWrk ? 'wrk' : 'autocannon'}; taskset: ${hasTaskset}`);
    console.log('target              conns   req/s (median)   p50 ms   p99 ms   vs bare');
    for (const c of CONNECTIONS) {
      const b = await measure(bare, c, [{ method: 'GET', path: '/bare', headers: {} }], 'bare');
      const s = await measure(broker, c, [sigv4], 'sigv4');
      for (const [name, r] of [['bare route', b], ['sigv4 caller-id', s]] as const) {
        console.log(`${name.padEnd(18)}  ${String(c).padStart(5)}   ${r.rps.toFixed(0).padStart(14)}   ${r.p50.toFixed(2).padStart(6)}   ${r.p99.toFixed(2).padStart(6)}   ${((r.rps / b.rps) * 100).toFixed(0).padStart(5)}%`);
      }
    }
  } finally {
    for (const ch of children) stopServer(ch);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
