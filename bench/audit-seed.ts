/**
 * Seeds BENCH_AUDIT_RECORDS (1,000,000) audit records into one new account on
 * PostgreSQL, with a valid hash chain (hashes computed here, in order, in
 * batches), mixed actions, outcomes, actors, keys, addresses and times so that
 * filtered queries are realistic. The account is created through the broker
 * (so it has a root, an audit head and real records first); the records are
 * then appended after its head with multi-row inserts (unnest), and the head
 * moved. Writes the account ID and an operator token to BENCH_AUDIT_STATE
 * (/tmp/credbroker-audit-bench.json) for bench/audit-query.ts and bench/audit-verify.ts.
 *
 *   npm run build && DATABASE_URL=postgresql://…/credbroker_bench npx tsx bench/audit-seed.ts
 *
 * BENCH_AUDIT_RECORDS (1000000), BENCH_AUDIT_BATCH (10000).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { MIGRATIONS_DIR } from '../src/common/paths.js';
import { loadConfig } from '../src/config/app-config.js';
import { Migrator } from '../src/db/migrator.js';
import { PrismaService } from '../src/db/prisma.service.js';
import { openSqlDriver } from '../src/db/sql-driver.js';
import { chainHash, type ChainedRecord } from '../src/modules/audit/audit-chain.js';
import { AuditRepository } from '../src/modules/audit/audit.repository.js';
import { AuditService } from '../src/modules/audit/audit.service.js';
import { OperatorsRepository } from '../src/modules/operators/operators.repository.js';
import { OperatorsService } from '../src/modules/operators/operators.service.js';
import { BROKER_NODE_ARGS, newAccount, startServer, stopServer } from './lib.js';

export const STATE_FILE = process.env.BENCH_AUDIT_STATE ?? '/tmp/credbroker-audit-bench.json';
export interface SeedState {
  accountId: string;
  operatorToken: string;
  records: number;
  /** Sample values present in the data, for filters. */
  samples: { actorArn: string; accessKeyId: string; sourceIp: string; action: string; from: string; to: string };
}

const RECORDS = Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_AUDIT_BATCH ?? 10_000);
const PORT = 18094;

const ACTIONS: [string, number][] = [
  ['sts:AssumeRole', 40],
  ['sts:GetSessionToken', 8],
  ['sts:AssumeRoleWithWebIdentity', 10],
  ['sts:AuthenticateRequest', 6],
  ['signin:ConsoleLogin', 10],
  ['iam:CreateAccessKey', 3],
  ['iam:DeleteAccessKey', 2],
  ['iam:CreateUser', 2],
  ['iam:PutUserPolicy', 3],
  ['iam:AttachRolePolicy', 2],
  ['iam:CreateRole', 1],
  ['iam:ChangePassword', 2],
  ['iam:EnableMFADevice', 1],
  ['sts:RevokeSessions', 1],
  ['s3:GetObject', 5],
  ['iam:ListUsers', 4],
];
const WEIGHTS = ACTIONS.reduce<number[]>((acc, [, w]) => [...acc, (acc.at(-1) ?? 0) + w], []);
const TOTAL_WEIGHT = WEIGHTS.at(-1)!;
const EVENT_COLUMNS = [
  'chain', 'seq', 'time', 'actorArn', 'actorType', 'accessKeyId', 'sessionName', 'sourceIdentity', 'mfa', 'action',
  'resourceArn', 'outcome', 'errorCode', 'sourceIp', 'userAgent', 'requestId', 'details', 'prevHash', 'hash',
] as const;
const CASTS: Record<number, string> = { 1: '::bigint', 2: '::timestamptz', 8: '::boolean', 16: '::jsonb' };

/** A small deterministic PRNG (mulberry32): the same data set every run. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function keyId(n: number): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let s = '';
  for (let i = 0; i < 16; i++) s += A[(n * 7919 + i * 104729) % 32];
  return `AKIA${s}`;
}

/** An operator through OperatorsService (audited like the CLI's `operator create`), after migrating the database. */
async function createOperator(url: string): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: 'memory://', DATABASE_URL: url, MASTER_KEY: `bench:${Buffer.alloc(32, 1).toString('base64')}` });
  const driver = await openSqlDriver(config.database);
  try {
    await new Migrator(driver, MIGRATIONS_DIR).migrate(() => undefined);
    const prisma = new PrismaService(driver);
    const ops = new OperatorsService(prisma, new OperatorsRepository(prisma), new AuditService(prisma, new AuditRepository()));
    const { token } = await ops.create(`bench-${Date.now()}`, { requestId: 'bench', sourceIp: '127.0.0.1' }, { requireEmpty: false });
    await prisma.$disconnect();
    return token;
  } finally {
    await driver.close();
  }
}

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must point at a PostgreSQL database for the benchmark');
  const env = { PORT: String(PORT), LOG_LEVEL: 'warn', DATABASE_URL: url, NODE_ENV: 'development', DATA_DIR: '/tmp/cb-audit-bench' };
  const operatorToken = await createOperator(url);
  const broker = await startServer(process.execPath, [...BROKER_NODE_ARGS, 'dist/src/main.js'], env, `http://127.0.0.1:${PORT}/health/live`);
  let accountId: string;
  try {
    accountId = (await newAccount(`http://127.0.0.1:${PORT}`, operatorToken)).accountId;
  } finally {
    stopServer(broker);
  }

  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const rand = rng(42);
  const users = Array.from({ length: 200 }, (_, i) => `arn:aws:iam::${accountId}:user/bench-user-${i}`);
  const roles = Array.from({ length: 20 }, (_, i) => `arn:aws:iam::${accountId}:role/bench-role-${i}`);
  const keys = Array.from({ length: 300 }, (_, i) => keyId(i));
  const ips = Array.from({ length: 500 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 37) % 250}`);
  const identities = ['alice', 'bob', 'carol', 'ci-pipeline', null, null, null, null];
  const start = Date.now() - 90 * 86_400_000;
  const step = (90 * 86_400_000) / RECORDS;
  const t0 = Date.now();
  const head = (await pool.query<{ seq: string; hash: string }>('SELECT "seq"::text AS seq, "hash" FROM "audit_heads" WHERE "chain" = $1', [accountId])).rows[0]!;
  let seq = BigInt(head.seq);
  let prev = head.hash;
  let hashing = 0;
  for (let done = 0; done < RECORDS; ) {
    const n = Math.min(BATCH, RECORDS - done);
    const cols: unknown[][] = EVENT_COLUMNS.map(() => []);
    const h0 = performance.now();
    for (let i = 0; i < n; i++) {
      seq += 1n;
      const r = rand();
      const action = ACTIONS[WEIGHTS.findIndex((w) => r * TOTAL_WEIGHT < w)]![0];
      const o = rand();
      const outcome = o < 0.85 ? 'success' : o < 0.96 ? 'denied' : 'error';
      const u = Math.floor(rand() * users.length);
      const assumed = action.startsWith('sts:') && rand() < 0.3;
      const rec: ChainedRecord = {
        chain: accountId,
        seq,
        // Strictly increasing with seq (ms resolution, as stored).
        time: new Date(Math.floor(start + (done + i) * step)),
        actorArn: assumed ? `arn:aws:sts::${accountId}:assumed-role/bench-role-${u % 20}/session-${u}` : users[u]!,
        actorType: assumed ? 'AssumedRole' : 'IAMUser',
        accessKeyId: keys[(u * 3 + Math.floor(rand() * 2)) % keys.length]!,
        sessionName: assumed ? `session-${u}` : null,
        sourceIdentity: identities[Math.floor(rand() * identities.length)]!,
        mfa: rand() < 0.2,
        action,
        resourceArn: action.startsWith('sts:Assume') ? roles[u % roles.length]! : users[(u * 7) % users.length]!,
        outcome,
        errorCode: outcome === 'success' ? null : outcome === 'denied' ? 'AccessDenied' : 'InternalFailure',
        sourceIp: ips[Math.floor(rand() * rand() * ips.length)]!,
        userAgent: rand() < 0.5 ? 'aws-cli/2.15.0 Python/3.11' : 'aws-sdk-js/3.600.0',
        requestId: randomUUID(),
        details: action === 'sts:AssumeRole' && outcome === 'success' ? { issuedAccessKeyId: `ASIA${keyId(done + i).slice(4)}`, durationSeconds: 3600 } : { route: '/v1/x' },
      };
      const hash = chainHash(prev, rec);
      const values = [
        rec.chain, rec.seq.toString(), rec.time.toISOString(), rec.actorArn, rec.actorType, rec.accessKeyId, rec.sessionName, rec.sourceIdentity, String(rec.mfa), rec.action,
        rec.resourceArn, rec.outcome, rec.errorCode, rec.sourceIp, rec.userAgent, rec.requestId, JSON.stringify(rec.details), prev, hash,
      ];
      values.forEach((v, k) => cols[k]!.push(v));
      prev = hash;
    }
    hashing += performance.now() - h0;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO "audit_events" (${EVENT_COLUMNS.map((c) => `"${c}"`).join(',')})
         SELECT ${EVENT_COLUMNS.map((c, i) => `"${c}"${CASTS[i] ?? ''}`).join(',')}
         FROM unnest(${EVENT_COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(',')}) AS t(${EVENT_COLUMNS.map((c) => `"${c}"`).join(',')})`,
        cols,
      );
      await client.query('UPDATE "audit_heads" SET "seq" = $2, "hash" = $3, "updatedAt" = now() WHERE "chain" = $1', [accountId, seq.toString(), prev]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    } finally {
      client.release();
    }
    done += n;
    if (done % 100_000 < BATCH) process.stderr.write(`  ${done} records (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  await pool.query('ANALYZE "audit_events"');
  const secs = (Date.now() - t0) / 1000;
  console.log(`seeded ${RECORDS} records into account ${accountId} in ${secs.toFixed(1)} s (${Math.round(RECORDS / secs)} records/s; hashing ${(hashing / 1000).toFixed(1)} s)`);
  const state: SeedState = {
    accountId,
    operatorToken,
    records: RECORDS,
    samples: { actorArn: users[17]!, accessKeyId: keys[51]!, sourceIp: ips[3]!, action: 'iam:ChangePassword', from: new Date(start + 30 * 86_400_000).toISOString(), to: new Date(start + 31 * 86_400_000).toISOString() },
  };
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  console.log(`state written to ${STATE_FILE}`);
  await pool.end();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
