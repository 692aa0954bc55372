/**
 * A/B of two broker builds or Node flags on PostgreSQL, interleaved: the same signed AssumeRole against
 * broker A and broker B in turn, ROUNDS times, at BENCH_CONNS (one value, default 64) connections. Each
 * broker has its own database and is loaded alone, pinned to CPU 0 (the generator on CPU 1). Prints
 * each round and the medians: req/s, p50/p99, and the broker's CPU per request (user + system, from
 * /proc), which on this shared machine moves with the host's speed much less than req/s does when
 * A and B alternate every few seconds.
 *
 *   AB_A_ENTRY / AB_B_ENTRY   entry file (default dist/src/main.js; e.g. a second build in dist-b/)
 *   AB_A_ARGS / AB_B_ARGS     Node flags, space-separated (default: the shipped ones, BROKER_NODE_ARGS; '' for none)
 *   AB_ROUNDS (5), BENCH_SECONDS (8), BENCH_CONNS (64), AB_DB_URL (postgresql://postgres@127.0.0.1:5432)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROKER_NODE_ARGS, DURATION, assumeRoleRequest, createOperator, hasTaskset, load, median, startServer, stopServer, type BenchRequest } from './lib.js';

const ROUNDS = Number(process.env.AB_ROUNDS ?? 5);
const CONNS = Number(process.env.BENCH_CONNS ?? 64);
const DB = process.env.AB_DB_URL ?? 'postgresql://postgres@127.0.0.1:5432';

interface Side {
  name: string;
  port: number;
  entry: string;
  args: string[];
  db: string;
}

const sides: Side[] = (['A', 'B'] as const).map((n, i) => ({
  name: n,
  port: 18096 + i,
  entry: process.env[`AB_${n}_ENTRY`] ?? 'dist/src/main.js',
  args: (process.env[`AB_${n}_ARGS`] ?? BROKER_NODE_ARGS.join(' ')).split(' ').filter(Boolean),
  db: `bench_ab_${n.toLowerCase()}`,
}));

/** utime + stime of a process, in µs. */
function cpuMicros(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
}

async function main() {
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const running = [];
  try {
    const ready: { side: Side; base: string; pid: number; req: BenchRequest }[] = [];
    for (const side of sides) {
      const psql = spawnSync('psql', [`${DB}/postgres`, '-qc', `DROP DATABASE IF EXISTS ${side.db}`, '-c', `CREATE DATABASE ${side.db}`], { encoding: 'utf8' });
      if (psql.status !== 0) throw new Error(`could not create ${side.db}: ${psql.stderr}`);
      const env = { PORT: String(side.port), LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), 'cb-ab-')), NODE_ENV: 'development', DATABASE_URL: `${DB}/${side.db}` };
      const operatorToken = createOperator(env);
      const base = `http://127.0.0.1:${side.port}`;
      const child = await startServer(process.execPath, [...side.args, side.entry], env, `${base}/health/live`);
      running.push(child);
      const req = await assumeRoleRequest(base, side.port, operatorToken);
      await load(base, CONNS, [req], 3); // warm-up, not reported
      ready.push({ side, base, pid: child.pid!, req });
    }
    console.log(`A: ${sides[0]!.args.join(' ')} ${sides[0]!.entry}\nB: ${sides[1]!.args.join(' ')} ${sides[1]!.entry}`);
    console.log(`${ROUNDS} rounds × ${DURATION}s each, ${CONNS} connections, alternating`);
    const results = new Map<string, { rps: number; p50: number; p99: number; cpu: number }[]>(sides.map((s) => [s.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of round % 2 ? [...ready].reverse() : ready) {
        const before = cpuMicros(r.pid);
        const res = await load(r.base, CONNS, [r.req]);
        const cpu = (cpuMicros(r.pid) - before) / Math.max(1, res.requests);
        if (res.errors) throw new Error(`${r.side.name}: ${res.problem}`);
        results.get(r.side.name)!.push({ rps: res.rps, p50: res.p50, p99: res.p99, cpu });
        console.log(`round ${round + 1} ${r.side.name}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms, ${cpu.toFixed(0)} µs CPU/request`);
      }
    }
    const med = (n: string, k: 'rps' | 'p50' | 'p99' | 'cpu') => median(results.get(n)!.map((x) => x[k]));
    for (const n of ['A', 'B']) console.log(`median ${n}: ${med(n, 'rps').toFixed(0)} req/s, p50 ${med(n, 'p50').toFixed(2)} ms, p99 ${med(n, 'p99').toFixed(2)} ms, ${med(n, 'cpu').toFixed(0)} µs CPU/request`);
    const pairs = results.get('A')!.map((a, i) => results.get('B')![i]!.cpu / a.cpu);
    console.log(`B/A CPU per request, per round: ${pairs.map((x) => x.toFixed(3)).join(' ')} (median ${median(pairs).toFixed(3)})`);
  } finally {
    for (const c of running) stopServer(c);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
