/**
 * SigV4-authenticated GET /v1/caller-identity vs a bare NestJS-Fastify JSON
 * route, at 1, 16 and 64 connections. The servers run pinned to CPU 0 and the
 * load generator (autocannon) to CPU 1 when `taskset` exists.
 *
 *   npx tsx bench/sigv4-caller-identity.ts            # embedded database
 *   DATABASE_URL=postgresql://… npx tsx bench/…       # PostgreSQL
 *
 * Prints requests/s and p50/p99 latency per run (median of RUNS runs). The load generator is wrk
 * (Debian package `wrk`, written in C) when installed, else autocannon (JS, which saturates well
 * below a bare Fastify route, so the baseline is then understated).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = (process.env.BENCH_CONNS ?? "1,16,64").split(",").map(Number);
const BROKER_PORT = 18090;
const BARE_PORT = 18091;
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Starts a server pinned to CPU 0 and waits until `readyUrl` answers. */
async function startServer(args: string[], env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const cmd = hasTaskset ? 'taskset' : process.execPath;
  const full = hasTaskset ? ['-c', '0', process.execPath, ...args] : args;
  const child = spawn(cmd, full, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`server exited with ${code}`))));
  await Promise.race([waitFor(readyUrl), exited]);
  return child;
}

async function waitFor(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never came up`);
}

async function json(url: string, init: RequestInit & { body?: string } = {}) {
  const r = await fetch(url, { ...init, headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) } });
  const text = await r.text();
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${r.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** Sets up an account, an IAM user and an access key through the broker's own API. */
async function provision(base: string, operatorToken: string) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const acct = await json(`${base}/v1/accounts`, { method: 'POST', headers: { authorization: `Bearer ${operatorToken}` }, body: JSON.stringify({ name: 'Bench', rootEmail: `bench-${suffix}@example.test`, rootPassword: 'Bench-Passw0rd!' }) });
  const signin = await json(`${base}/v1/signin`, { method: 'POST', body: JSON.stringify({ account: acct.accountId, email: `bench-${suffix}@example.test`, password: 'Bench-Passw0rd!' }) });
  const h = { authorization: `Bearer ${signin.sessionToken}` };
  await json(`${base}/v1/accounts/${acct.accountId}/users`, { method: 'POST', headers: h, body: JSON.stringify({ userName: 'bench' }) });
  const key = await json(`${base}/v1/accounts/${acct.accountId}/users/bench/access-keys`, { method: 'POST', headers: h });
  return key.accessKey as { accessKeyId: string; secretAccessKey: string };
}

async function signedHeaders(key: { accessKeyId: string; secretAccessKey: string }) {
  const signer = new SignatureV4({ credentials: key, region: 'us-east-1', service: 'sts', sha256: Sha256 });
  const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: BROKER_PORT, path: '/v1/caller-identity', query: {}, headers: { host: `127.0.0.1:${BROKER_PORT}` } });
  return signed.headers as Record<string, string>;
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const hasWrk = spawnSync('wrk', ['--version']).error === undefined;

/** wrk's latency figures ("812.00us", "1.23ms", "2.01s") in milliseconds. */
function wrkMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

async function load(url: string, connections: number, headers: Record<string, string>): Promise<LoadResult> {
  if (hasWrk) {
    const args = ['-t', '1', '-c', String(connections), '-d', `${DURATION}s`, '--latency', ...Object.entries(headers)
        // wrk sends Host from the URL: the same value that was signed.
        .filter(([k]) => k.toLowerCase() !== 'host')
        .flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
      url,
    ];
    const cmd = hasTaskset ? 'taskset' : 'wrk';
    const r = spawnSync(cmd, hasTaskset ? ['-c', '1', 'wrk', ...args] : args, { encoding: 'utf8' });
    const out = r.stdout;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const p50 = wrkMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
    const p99 = wrkMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const sockErr = /Socket errors:.*/.exec(out)?.[0];
    return { rps, p50, p99, errors: non2xx + (sockErr && !/connect 0, read 0, write 0, timeout 0/.test(sockErr) ? 1 : 0) };
  }
  // The load generator runs in this process, pinned to CPU 1.
  const r = await autocannon({ url, connections, duration: DURATION, headers, pipelining: 1 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-bench-'));
  const env: Record<string, string> = { PORT: String(BROKER_PORT), LOG_LEVEL: 'warn', DATA_DIR: dataDir, NODE_ENV: 'development' };
  // Bootstrap an operator through the CLI, then start the broker.
  const boot = spawnSync(process.execPath, ['dist/src/cli/main.js', 'operator', 'create', '--name', `bench-${Date.now()}`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const operatorToken = /cbop_[A-Za-z0-9_-]+/.exec(boot.stdout)?.[0];
  if (!operatorToken) throw new Error(`could not create an operator: ${boot.stderr}`);
  for (const port of [BROKER_PORT, BARE_PORT]) {
    if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) throw new Error(`port ${port} is already in use`);
  }
  const children: ChildProcess[] = [];
  try {
    children.push(await startServer(['dist/src/main.js'], env, `http://127.0.0.1:${BROKER_PORT}/health/live`));
    children.push(await startServer(['bench/bare-server.mjs'], { PORT: String(BARE_PORT) }, `http://127.0.0.1:${BARE_PORT}/bare`));
    const key = await provision(`http://127.0.0.1:${BROKER_PORT}`, operatorToken);
    const headers = await signedHeaders(key);
    const check = await fetch(`http://127.0.0.1:${BROKER_PORT}/v1/caller-identity`, { headers });
    if (check.status !== 200) throw new Error(`signed request refused: ${await check.text()}`);
    console.log(`database: ${process.env.DATABASE_URL ? 'postgresql' : 'pglite'}; ${RUNS} runs × ${DURATION}s; load: ${hasWrk ? 'wrk' : 'autocannon'}; taskset: ${hasTaskset}`);
    console.log('target              conns   req/s (median)   p50 ms   p99 ms   vs bare');
    for (const c of CONNECTIONS) {
      const rows: Record<string, { rps: number[]; p50: number[]; p99: number[] }> = { bare: { rps: [], p50: [], p99: [] }, sigv4: { rps: [], p50: [], p99: [] } };
      for (let i = 0; i < RUNS; i++) {
        for (const [name, url, h] of [
          ['bare', `http://127.0.0.1:${BARE_PORT}/bare`, {}],
          ['sigv4', `http://127.0.0.1:${BROKER_PORT}/v1/caller-identity`, headers],
        ] as const) {
          const r = await load(url, c, h);
          if (r.errors) throw new Error(`${name}: non-2xx responses or socket errors`);
          rows[name].rps.push(r.rps);
          rows[name].p50.push(r.p50);
          rows[name].p99.push(r.p99);
        }
      }
      const bareRps = median(rows.bare.rps);
      for (const name of ['bare', 'sigv4']) {
        const rps = median(rows[name].rps);
        console.log(`${(name === 'bare' ? 'bare route' : 'sigv4 caller-id').padEnd(18)}  ${String(c).padStart(5)}   ${rps.toFixed(0).padStart(14)}   ${median(rows[name].p50).toFixed(2).padStart(6)}   ${median(rows[name].p99).toFixed(2).padStart(6)}   ${((rps / bareRps) * 100).toFixed(0).padStart(5)}%`);
      }
    }
  } finally {
    for (const c of children) c.kill();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
