/**
 * Shared by the benchmarks: servers pinned to CPU 0, the load generator pinned to CPU 1, medians of
 * several runs.
 *
 * Load generators, first available: h2load (Debian package nghttp2-client) for one fixed request,
 * wrk for a set of requests (h2load replays one), else autocannon (JS, which saturates well below a bare
 * Fastify route, so it understates the fast targets). Latency percentiles come from h2load's
 * per-request log: on this machine, with the server saturated, wrk 4.1's p99 was 6–9× the p99 of the
 * same run read off a loopback packet capture (request's first packet to response's last), while
 * h2load's log agreed with the capture within 6% (docs/benchmarks.md).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import autocannon from 'autocannon';

export const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);
export const CONNECTIONS = (process.env.BENCH_CONNS ?? '1,16,64').split(',').map(Number);
/** Seconds of unreported load on each server before its first measurement (BENCH_WARMUP). */
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
/** The Node flags the broker runs with (as `npm start` and the Dockerfile start it): the benches start it the same way. */
export const BROKER_NODE_ARGS = ['--max-semi-space-size=64'];
export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
export const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
export const hasH2load = spawnSync('h2load', ['--version']).error === undefined;

export type LoadTool = 'h2load' | 'wrk' | 'autocannon';
/** The generator that replays a set of different requests (h2load sends one). */
export const MULTI_TOOL: LoadTool = hasWrk ? 'wrk' : 'autocannon';
/** BENCH_TOOL=wrk|autocannon overrides the choice (to compare generators on the same server). */
export const toolFor = (reqs: BenchRequest[]): LoadTool =>
  (process.env.BENCH_TOOL as LoadTool | undefined) ?? (reqs.length === 1 && hasH2load ? 'h2load' : MULTI_TOOL);

/** Starts a server pinned to CPU 0 and waits until `readyUrl` answers. */
export async function startServer(cmd: string, args: string[], env: Record<string, string>, readyUrl: string, quiet = false): Promise<ChildProcess> {
  const full = hasTaskset ? ['-c', '0', cmd, ...args] : args;
  const child = spawn(hasTaskset ? 'taskset' : cmd, full, { env: { ...process.env, ...env }, stdio: ['ignore', process.env.BENCH_SERVER_LOGS ? 'inherit' : 'ignore', quiet ? 'ignore' : 'inherit'], detached: true });
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code}`))));
  exited.catch(() => undefined);
  await Promise.race([waitFor(readyUrl), exited]);
  return child;
}

export function stopServer(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    child.kill();
  }
}

export async function waitFor(url: string) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never came up`);
}

export async function json(url: string, init: RequestInit & { body?: string } = {}) {
  const r = await fetch(url, { ...init, headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) } });
  const text = await r.text();
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${r.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** Creates an operator through the CLI (the broker must not be running on an embedded database yet). */
export function createOperator(env: Record<string, string>): string {
  const boot = spawnSync(process.execPath, ['dist/src/cli/main.js', 'operator', 'create', '--name', `bench-${Date.now()}`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const token = /cbop_[A-Za-z0-9_-]+/.exec(boot.stdout)?.[0];
  if (!token) throw new Error(`could not create an operator: ${boot.stderr}`);
  return token;
}

/** A new account with its root signed in: returns the account ID and a console-session header. */
export async function newAccount(base: string, operatorToken: string): Promise<{ accountId: string; h: Record<string, string> }> {
  const suffix = Math.random().toString(36).slice(2, 10);
  const email = `bench-${suffix}@example.test`;
  const acct = await json(`${base}/v1/accounts`, { method: 'POST', headers: { authorization: `Bearer ${operatorToken}` }, body: JSON.stringify({ name: 'Bench', rootEmail: email, rootPassword: 'Bench-Passw0rd!' }) });
  const signin = await json(`${base}/v1/signin`, { method: 'POST', body: JSON.stringify({ account: acct.accountId, email, password: 'Bench-Passw0rd!' }) });
  return { accountId: acct.accountId, h: { authorization: `Bearer ${signin.sessionToken}` } };
}

export interface LoadResult {
  tool?: LoadTool;
  /** What went wrong, when something did (non-2xx count, wrk's socket error line). */
  problem?: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
}

/** A fixed request: wrk replays it (or cycles through several). */
export interface BenchRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** wrk's latency figures ("812.00us", "1.23ms", "2.01s") in milliseconds. */
function wrkMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

const lua = (s: string) => JSON.stringify(s);

/** A wrk script cycling through the requests (each connection starts at a different one). */
function wrkScript(reqs: BenchRequest[]): string {
  const entries = reqs.map((r) => {
    const hs = Object.entries(r.headers)
      .filter(([k]) => k.toLowerCase() !== 'host')
      .map(([k, v]) => `[${lua(k)}]=${lua(v)}`)
      .join(',');
    return `wrk.format(${lua(r.method)}, ${lua(r.path)}, {${hs}}, ${r.body === undefined ? 'nil' : lua(r.body)})`;
  });
  return `local reqs = {}\ninit = function(args)\n${entries.map((e) => `  table.insert(reqs, ${e})`).join('\n')}\nend\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return reqs[(i % #reqs) + 1]\nend\n`;
}

/** Runs a load generator on CPU 1; one that has not finished `limitSeconds` in is killed and the run fails. */
function onCpu1(cmd: string, args: string[], limitSeconds: number): string {
  const r = spawnSync(hasTaskset ? 'taskset' : cmd, hasTaskset ? ['-c', '1', cmd, ...args] : args, { encoding: 'utf8', timeout: limitSeconds * 1000 });
  if (r.error || r.signal) throw new Error(`${cmd} did not finish: ${r.error?.message ?? r.signal}`);
  return r.stdout;
}

/** Percentile `q` (0–1) of sorted values. */
const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** h2load over HTTP/1.1, one request per connection at a time; percentiles from its per-request log. */
function h2load(base: string, connections: number, req: BenchRequest, seconds: number): LoadResult {
  if (req.method !== (req.body === undefined ? 'GET' : 'POST')) throw new Error(`h2load sends GET, or POST with a body: not ${req.method}`);
  const tmp = `/tmp/cb-bench-${process.pid}`;
  // -N: a peer that ends its responses by closing the connection (moto's Werkzeug) would otherwise keep
  // h2load waiting at the end of the run.
  const args = ['--h1', '-t', '1', '-c', String(connections), '-D', String(seconds), '-N', '2', `--log-file=${tmp}.log`];
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() !== 'host') args.push('-H', `${k}: ${v}`);
  if (req.body !== undefined) {
    writeFileSync(`${tmp}.body`, req.body);
    args.push('-d', `${tmp}.body`);
  }
  args.push(`${base}${req.path}`);
  rmSync(`${tmp}.log`, { force: true });
  const out = onCpu1('h2load', args, seconds + 30);
  // Each line: start time (µs since the epoch), status, time to the end of the response (µs).
  const lines = readFileSync(`${tmp}.log`, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
  const ms = lines.map((f) => Number(f[2]) / 1000).sort((a, b) => a - b);
  const non2xx = lines.filter((f) => !f[1]!.startsWith('2')).length;
  const failed = Number(/(\d+) failed, (\d+) errored, (\d+) timeout/.exec(out)?.slice(1).reduce((a, b) => a + Number(b), 0) ?? 0);
  const elapsed = Number(/finished in ([\d.]+)s/.exec(out)?.[1]);
  return { tool: 'h2load', rps: lines.length / elapsed, p50: pct(ms, 0.5), p99: pct(ms, 0.99), requests: lines.length, errors: non2xx + failed, problem: `${non2xx} non-2xx, ${failed} failed` };
}

export async function load(base: string, connections: number, reqs: BenchRequest[], seconds = DURATION, tool = toolFor(reqs)): Promise<LoadResult> {
  if (tool === 'h2load') {
    if (reqs.length !== 1) throw new Error('h2load replays one request: use wrk for a set of them');
    return h2load(base, connections, reqs[0]!, seconds);
  }
  if (tool === 'wrk') {
    const script = `/tmp/cb-bench-${process.pid}.lua`;
    writeFileSync(script, wrkScript(reqs));
    const args = ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '--latency', '-s', script, base];
    const out = onCpu1('wrk', args, seconds + 30);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const p50 = wrkMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
    const p99 = wrkMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const sockErr = /Socket errors:.*/.exec(out)?.[0];
    const sockBad = sockErr && !/connect 0, read 0, write 0, timeout 0/.test(sockErr);
    return { tool, rps, p50, p99, requests, errors: non2xx + (sockBad ? 1 : 0), problem: `${non2xx} non-2xx${sockBad ? `; ${sockErr}` : ''}` };
  }
  const r = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: reqs.map((q) => ({ method: q.method as 'GET', path: q.path, headers: q.headers, body: q.body })),
  });
  return { tool: 'autocannon', rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors, requests: r.requests.total };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const warmed = new Set<string>();

/**
 * Runs `RUNS` loads and returns the medians. A server's first measurement is preceded by WARMUP seconds
 * of the same load, not reported: the figures are the steady state, not the JIT compiling the hot path
 * (without it the first run of a fresh process had several times the p99 of the next).
 */
export async function measure(base: string, connections: number, reqs: BenchRequest[], label: string, tool = toolFor(reqs)): Promise<LoadResult> {
  if (WARMUP > 0 && !warmed.has(base)) {
    warmed.add(base);
    await load(base, connections, reqs, WARMUP, tool);
  }
  const runs: LoadResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await load(base, connections, reqs, DURATION, tool);
    if (r.errors) throw new Error(`${label}: ${r.problem ?? 'non-2xx responses or socket errors'}`);
    runs.push(r);
  }
  return { tool, rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), errors: 0, requests: runs.reduce((s, r) => s + r.requests, 0) };
}

/** A trust policy letting `principal` (an account ID or ARN) assume the role. */
export const TRUST = (principal: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: 'sts:AssumeRole' }] });

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A POST signed with SigV4 for service sts, for a server on 127.0.0.1:`port`. */
export async function signedRequest(port: number, keys: Keys, path: string, body: string, contentType: string): Promise<BenchRequest> {
  const signer = new SignatureV4({ credentials: keys, region: 'us-east-1', service: 'sts', sha256: Sha256 });
  const req = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path, query: {}, headers: { host: `127.0.0.1:${port}`, 'content-type': contentType }, body });
  return { method: 'POST', path, headers: req.headers as Record<string, string>, body };
}

/** An account with a role (`bench`) its user `bench` may assume, and that user's access key. */
export async function assumableRole(base: string, operatorToken: string): Promise<{ accountId: string; roleArn: string; key: Keys }> {
  const { accountId, h } = await newAccount(base, operatorToken);
  const roleArn = (await json(`${base}/v1/accounts/${accountId}/roles`, { method: 'POST', headers: h, body: JSON.stringify({ roleName: 'bench', assumeRolePolicyDocument: JSON.parse(TRUST(accountId)) }) })).arn;
  await json(`${base}/v1/accounts/${accountId}/users`, { method: 'POST', headers: h, body: JSON.stringify({ userName: 'bench' }) });
  await fetch(`${base}/v1/accounts/${accountId}/users/bench/inline-policies/assume`, {
    method: 'PUT',
    headers: { ...h, 'content-type': 'application/json' },
    body: JSON.stringify({ document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }] } }),
  });
  const key = (await json(`${base}/v1/accounts/${accountId}/users/bench/access-keys`, { method: 'POST', headers: h })).accessKey as Keys;
  return { accountId, roleArn, key };
}

/** An account with a role its users may assume and a user allowed to; returns the signed AssumeRole request (checked once). */
export async function assumeRoleRequest(base: string, port: number, operatorToken: string): Promise<BenchRequest> {
  const { roleArn, key } = await assumableRole(base, operatorToken);
  const body = JSON.stringify({ RoleArn: roleArn, RoleSessionName: 'bench', DurationSeconds: 900 });
  const req = await signedRequest(port, key, '/v1/sts/assume-role', body, 'application/json');
  const check = await fetch(`${base}${req.path}`, { method: 'POST', headers: req.headers, body });
  if (check.status !== 200) throw new Error(`AssumeRole refused: ${await check.text()}`);
  return req;
}
