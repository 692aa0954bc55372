/**
 * Audited issuances per second for ONE account through the group-commit path
 * (IssuanceWriter → one transaction per batch: session rows + AuditService.appendBatch),
 * with many concurrent writers, on the database DATABASE_URL names (PostgreSQL:
 * use a dedicated database, the bench creates its own chain). No HTTP, no
 * SigV4, no policy evaluation: the write path alone, which must not be the
 * bottleneck of issuance (target: 5,600 audited issuances/s for one account).
 * Prints the median of BENCH_RUNS runs per concurrency, and verifies the chain
 * afterwards (gap-free, every hash recomputed).
 *
 *   DATABASE_URL=postgresql://…/credbroker_bench npx tsx bench/audit-append.ts
 *
 * BENCH_RUNS (3), BENCH_SECONDS (5), BENCH_WRITERS (16,64,256), BENCH_POOL (10).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/app-config.js';
import { MIGRATIONS_DIR } from '../src/common/paths.js';
import { Migrator } from '../src/db/migrator.js';
import { PrismaService } from '../src/db/prisma.service.js';
import { openSqlDriver } from '../src/db/sql-driver.js';
import { GENESIS_HASH, chainHash } from '../src/modules/audit/audit-chain.js';
import { AuditRepository } from '../src/modules/audit/audit.repository.js';
import { AuditService } from '../src/modules/audit/audit.service.js';
import { IssuanceWriter, type Issuance } from '../src/modules/sts/issuance-writer.js';
import { StsSessionsRepository } from '../src/modules/sts/sts-sessions.repository.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WRITERS = (process.env.BENCH_WRITERS ?? '16,64,256').split(',').map(Number);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function issuance(accountId: string, i: number): Issuance {
  const accessKeyId = `ASIA${randomBytes(10).toString('hex').toUpperCase()}`;
  const now = new Date();
  const arn = `arn:aws:sts::${accountId}:assumed-role/bench/s${i}`;
  return {
    row: {
      accessKeyId,
      accountId,
      type: 'AssumedRole',
      issuer: 'local',
      arn,
      callerArn: `arn:aws:iam::${accountId}:user/bench`,
      sourceArn: `arn:aws:iam::${accountId}:user/bench`,
      parentAccessKeyId: null,
      principalId: 'AROABENCH',
      roleId: 'AROABENCH',
      sessionName: `s${i}`,
      sourceIdentity: null,
      tags: {},
      sessionPolicy: null,
      policyArns: [],
      mfaAuthenticatedAt: null,
      secretCiphertext: 'x'.repeat(120),
      tokenHash: randomBytes(32).toString('hex'),
      upstreamRequestId: null,
      containerTokenId: null,
      issuedAt: now,
      expiresAt: new Date(now.getTime() + 3600_000),
    },
    audit: {
      chain: accountId,
      action: 'sts:AssumeRole',
      outcome: 'success',
      actor: { arn: `arn:aws:iam::${accountId}:user/bench`, type: 'IAMUser', accessKeyId: 'AKIABENCHBENCHBENCH1' },
      resourceArn: `arn:aws:iam::${accountId}:role/bench`,
      client: { requestId: randomUUID(), sourceIp: '10.0.0.1', userAgent: 'bench' },
      details: { issuedAccessKeyId: accessKeyId, sessionArn: arn, expiresAt: new Date(now.getTime() + 3600_000).toISOString(), issuer: 'local' },
    },
  };
}

async function main() {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must point at a (dedicated) PostgreSQL database');
  const config = loadConfig({ ...process.env, NODE_ENV: 'development', DATA_DIR: 'memory://', MASTER_KEY: `bench:${Buffer.alloc(32, 1).toString('base64')}`, DATABASE_POOL_SIZE: process.env.BENCH_POOL ?? '10' });
  const driver = await openSqlDriver(config.database);
  await new Migrator(driver, MIGRATIONS_DIR).migrate(() => undefined);
  const prisma = new PrismaService(driver);
  const audit = new AuditService(prisma, new AuditRepository());
  const writer = new IssuanceWriter(driver, audit, new StsSessionsRepository(prisma));
  // A chain of its own (audit_heads only: the account row is not needed by the write path).
  const chain = `9${String(Date.now()).slice(-11)}`;
  await driver.query('INSERT INTO "audit_heads" ("chain", "seq", "hash") VALUES ($1, 0, $2)', [chain, GENESIS_HASH]);
  // sts_sessions.accountId has no foreign key to accounts in the write path's statement, but keep the schema honest.
  const fk = await driver.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_constraint WHERE conrelid = 'sts_sessions'::regclass AND contype = 'f'`);
  if (fk[0]!.n !== '0') throw new Error('sts_sessions has foreign keys: create the account first');

  console.log(`database: ${config.database.kind}; pool ${config.database.poolSize}; ${RUNS} runs × ${SECONDS}s, medians; one account (chain ${chain})`);
  console.log('writers   issuances/s   p50 ms   p99 ms   node CPU (this process: generator + writer + hashing)');
  let n = 0;
  for (const w of WRITERS) {
    const rates: number[] = [];
    const p50s: number[] = [];
    const p99s: number[] = [];
    const cpus: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const cpu0 = process.cpuUsage();
      const lat: number[] = [];
      const end = Date.now() + SECONDS * 1000;
      let count = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: w }, async () => {
          while (Date.now() < end) {
            const s = performance.now();
            await writer.write(issuance(chain, n++));
            lat.push(performance.now() - s);
            count++;
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      cpus.push((cpu.user + cpu.system) / 1e6 / secs);
      lat.sort((a, b) => a - b);
      rates.push(count / secs);
      p50s.push(lat[Math.floor(lat.length / 2)]!);
      p99s.push(lat[Math.floor(lat.length * 0.99)]!);
    }
    console.log(`${String(w).padStart(7)} ${median(rates).toFixed(0).padStart(13)} ${median(p50s).toFixed(2).padStart(8)} ${median(p99s).toFixed(2).padStart(8)}   ${(median(cpus) * 100).toFixed(0).padStart(4)}%   runs: ${rates.map((r) => r.toFixed(0)).join(', ')}`);
  }

  // The chain the concurrent writers built: gap-free, every link recomputed.
  const rows = await prisma.auditEvent.findMany({ where: { chain }, orderBy: { seq: 'asc' } });
  let prev = GENESIS_HASH;
  for (const [i, r] of rows.entries()) {
    if (r.seq !== BigInt(i + 1) || r.prevHash !== prev || chainHash(prev, { ...r, details: r.details ?? null }) !== r.hash) throw new Error(`chain broken at seq ${r.seq}`);
    prev = r.hash;
  }
  console.log(`chain verified: ${rows.length} records, gap-free, every hash recomputed`);
  await driver.query('DELETE FROM "sts_sessions" WHERE "accountId" = $1', [chain]);
  await prisma.$disconnect();
  await driver.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
