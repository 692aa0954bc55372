/**
 * SigV4-authenticated GET /v1/caller-identity vs a bare NestJS-Fastify JSON
 * route, at 1, 16 and 64 connections. The servers run pinned to CPU 0 and the
 * load generator to CPU 1 when `taskset` exists.
 *
 * A third target is the floor: the bare app whose route only verifies the
 * signature with the broker's verifier against a key in memory
 * (sigv4-floor-server.mjs). Bare → floor is what SigV4 itself costs on this
 * machine; floor → broker is what the broker adds (guard, key cache, policy
 * context, request id, metrics, hooks).
 *
 *   npm run build && npx tsx bench/sigv4-caller-identity.ts            # embedded database
 *   npm run build && DATABASE_URL=postgresql://… npx tsx bench/…       # PostgreSQL
 *
 * Prints requests/s and p50/p99 latency (medians of BENCH_RUNS runs). The load generator is h2load
 * (Debian package `nghttp2-client`) when installed, else wrk, else autocannon (lib.ts says why).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { BROKER_NODE_ARGS, CONNECTIONS, DURATION, RUNS, createOperator, hasTaskset, json, measure, newAccount, startServer, stopServer, toolFor, type BenchRequest } from './lib.js';

const BROKER_PORT = 18090;
const BARE_PORT = 18091;
const FLOOR_PORT = 18092;
/** AWS's documentation example key (valid nowhere): the floor server holds it, the bench signs with it. */
const FLOOR_KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

async function signedGet(keys: { accessKeyId: string; secretAccessKey: string }, port: number, path: string): Promise<BenchRequest> {
  const signer = new SignatureV4({ credentials: keys, region: 'us-east-1', service: 'sts', sha256: Sha256 });
  const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port, path, query: {}, headers: { host: `127.0.0.1:${port}` } });
  return { method: 'GET', path, headers: signed.headers as Record<string, string> };
}

/** An IAM user with an access key; returns the signed GET /v1/caller-identity. */
async function signedCallerIdentity(base: string, operatorToken: string): Promise<BenchRequest> {
  const { accountId, h } = await newAccount(base, operatorToken);
  await json(`${base}/v1/accounts/${accountId}/users`, { method: 'POST', headers: h, body: JSON.stringify({ userName: 'bench' }) });
  const key = (await json(`${base}/v1/accounts/${accountId}/users/bench/access-keys`, { method: 'POST', headers: h })).accessKey;
  return signedGet(key, BROKER_PORT, '/v1/caller-identity');
}

async function main() {
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-bench-'));
  const env: Record<string, string> = { PORT: String(BROKER_PORT), LOG_LEVEL: 'warn', DATA_DIR: dataDir, NODE_ENV: 'development' };
  const operatorToken = createOperator(env);
  const broker = `http://127.0.0.1:${BROKER_PORT}`;
  const bare = `http://127.0.0.1:${BARE_PORT}`;
  const floor = `http://127.0.0.1:${FLOOR_PORT}`;
  const children = [
    await startServer(process.execPath, [...BROKER_NODE_ARGS, process.env.BENCH_BROKER_ENTRY ?? 'dist/src/main.js'], env, `${broker}/health/live`),
    await startServer(process.execPath, ['bench/bare-server.mjs'], { PORT: String(BARE_PORT) }, `${bare}/bare`),
    // The floor has no /health route: its 404 says it is up.
    await startServer(process.execPath, ['bench/sigv4-floor-server.mjs'], { PORT: String(FLOOR_PORT), FLOOR_ACCESS_KEY_ID: FLOOR_KEY.accessKeyId, FLOOR_SECRET_ACCESS_KEY: FLOOR_KEY.secretAccessKey }, `${floor}/health`),
  ];
  try {
    const sigv4 = await signedCallerIdentity(broker, operatorToken);
    const floorReq = await signedGet(FLOOR_KEY, FLOOR_PORT, '/v1/caller-identity');
    for (const [base, r] of [[broker, sigv4], [floor, floorReq]] as const) {
      const check = await fetch(`${base}${r.path}`, { headers: r.headers });
      if (check.status !== 200) throw new Error(`signed request refused by ${base}: ${await check.text()}`);
    }
    console.log(`database: ${process.env.DATABASE_URL ? 'postgresql' : 'pglite'}; ${RUNS} runs × ${DURATION}s; load: ${toolFor([sigv4])}; taskset: ${hasTaskset}`);
    console.log('target                 conns   req/s (median)   p50 ms   p99 ms   vs bare   vs floor');
    for (const c of CONNECTIONS) {
      const b = await measure(bare, c, [{ method: 'GET', path: '/bare', headers: {} }], 'bare');
      const f = await measure(floor, c, [floorReq], 'floor');
      const s = await measure(broker, c, [sigv4], 'sigv4');
      for (const [name, r] of [['bare route', b], ['floor: bare + SigV4', f], ['sigv4 caller-id', s]] as const) {
        const vsFloor = r === s ? `${((r.rps / f.rps) * 100).toFixed(0).padStart(7)}%` : '';
        console.log(`${name.padEnd(21)}  ${String(c).padStart(5)}   ${r.rps.toFixed(0).padStart(14)}   ${r.p50.toFixed(2).padStart(6)}   ${r.p99.toFixed(2).padStart(6)}   ${((r.rps / b.rps) * 100).toFixed(0).padStart(6)}%   ${vsFloor}`);
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
