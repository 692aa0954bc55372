import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import { MIGRATIONS_DIR } from '../../src/common/paths.js';
import { MigrationError, Migrator, readMigrations } from '../../src/db/migrator.js';
import { PgDriver, PgliteDriver, type SqlDriver } from '../../src/db/sql-driver.js';
import { testConfig } from '../support/test-app.js';

const PG_URL = process.env.DATABASE_URL;
const LOCAL = readMigrations(MIGRATIONS_DIR);
const NAMES = LOCAL.map((m) => m.name);

/** Databases created for this file on PostgreSQL, dropped at the end. */
const createdDbs: string[] = [];
const tmpDirs: string[] = [];

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A new, empty PostgreSQL database next to DATABASE_URL's; returns its URL. */
async function createPgDatabase(): Promise<string> {
  const base = new URL(PG_URL!);
  const name = `${decodeURIComponent(base.pathname.slice(1)) || 'credbroker'}_mig_${randomBytes(5).toString('hex')}`.slice(0, 63);
  await adminQuery(`CREATE DATABASE "${name}"`);
  createdDbs.push(name);
  base.pathname = `/${name}`;
  return base.toString();
}

afterAll(async () => {
  for (const name of createdDbs) await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of prisma/migrations to edit. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-migrations-'));
  tmpDirs.push(dir);
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const tableExists = async (d: SqlDriver, table: string) => (await d.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [`"${table}"`]))[0].t !== null;

interface Target {
  name: string;
  /** A driver on a new, empty database (and its URL on PostgreSQL). */
  fresh(): Promise<{ driver: SqlDriver; url?: string }>;
}

const targets: Target[] = [
  { name: 'PGlite', fresh: async () => ({ driver: await PgliteDriver.open('memory://') }) },
  ...(PG_URL
    ? [
        {
          name: 'PostgreSQL',
          fresh: async () => {
            const url = await createPgDatabase();
            return { driver: new PgDriver(url, 3), url };
          },
        },
      ]
    : []),
];

describe.each(targets)('migration runner on $name', (target) => {
  const open: SqlDriver[] = [];
  const fresh = async () => {
    const f = await target.fresh();
    open.push(f.driver);
    return f;
  };
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
  });

  it('applies every migration to a fresh database and records it as Prisma Migrate does', async () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(2);
    const { driver } = await fresh();
    const m = new Migrator(driver, MIGRATIONS_DIR);
    expect(await m.status()).toEqual({ applied: [], pending: NAMES, unknown: [] });

    const logged: string[] = [];
    const applied = await m.migrate((msg) => logged.push(msg));
    expect(applied).toEqual(NAMES);
    expect(logged).toEqual(NAMES.map((n) => `applying migration ${n}`));

    const columns = await driver.query<{ column_name: string; data_type: string; is_nullable: string }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = '_prisma_migrations' AND table_schema = current_schema() ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES' },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO' },
    ]);

    const rows = await driver.query<Record<string, unknown>>(`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`);
    expect(rows.map((r) => r.migration_name)).toEqual(NAMES);
    for (const r of rows) {
      const name = r.migration_name as string;
      expect(r.checksum, name).toBe(sha256(join(MIGRATIONS_DIR, name, 'migration.sql')));
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finished_at, name).toBeInstanceOf(Date);
      expect(r.started_at).toBeInstanceOf(Date);
      expect((r.finished_at as Date).getTime()).toBeGreaterThanOrEqual((r.started_at as Date).getTime());
      expect(r.applied_steps_count, name).toBe(1);
      expect(r.rolled_back_at).toBeNull();
      expect(r.logs).toBeNull();
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    // The schema is there.
    for (const table of ['accounts', 'users', 'audit_events', 'signin_throttles']) expect(await tableExists(driver, table), table).toBe(true);
    // The partial audit indexes (declared in SQL only: Prisma's schema has no syntax for them).
    const partial = await driver.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_events' AND schemaname = current_schema() AND indexdef LIKE '% WHERE %' ORDER BY indexname`,
    );
    expect(partial.map((i) => i.indexname)).toEqual(['audit_events_chain_outcome_seq_idx', 'audit_events_chain_sourceIdentity_seq_idx']);
    expect(partial[0].indexdef).toMatch(/WHERE \(\(outcome\)::text <> 'success'::text\)$/);
    expect(partial[1].indexdef).toMatch(/WHERE \("sourceIdentity" IS NOT NULL\)$/);
    expect(await m.status()).toEqual({ applied: NAMES, pending: [], unknown: [] });
  });

  it('a second run applies nothing', async () => {
    const { driver } = await fresh();
    await new Migrator(driver, MIGRATIONS_DIR).migrate();
    const before = await driver.query(`SELECT id, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name`);
    const logged: string[] = [];
    expect(await new Migrator(driver, MIGRATIONS_DIR).migrate((msg) => logged.push(msg))).toEqual([]);
    expect(logged).toEqual([]);
    expect(await driver.query(`SELECT id, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name`)).toEqual(before);
  });

  it('an applied migration whose file changed stops everything, naming it', async () => {
    const dir = migrationsCopy();
    const { driver } = await fresh();
    const m = new Migrator(driver, dir);
    expect(await m.migrate()).toEqual(NAMES);
    const edited = NAMES[0];
    const file = join(dir, edited, 'migration.sql');
    const original = readFileSync(file);
    appendFileSync(file, '\n-- an innocent-looking edit\n');

    const err = await m.migrate().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain(edited);
    expect((err as Error).message).toMatch(/changed/);
    await expect(m.status()).rejects.toThrow(edited);
    // A new migration added next to the edit is not applied either.
    mkdirSync(join(dir, '29990101000000_next'));
    writeFileSync(join(dir, '29990101000000_next', 'migration.sql'), 'CREATE TABLE "next_table" (id int);\n');
    await expect(m.migrate()).rejects.toThrow(MigrationError);
    expect(await tableExists(driver, 'next_table')).toBe(false);

    // Restoring the file restores order.
    writeFileSync(file, original);
    expect(await m.migrate()).toEqual(['29990101000000_next']);
  });

  it('a failing migration is rolled back and not recorded; the earlier ones stay', async () => {
    const dir = migrationsCopy();
    const broken = '29991231000000_broken';
    mkdirSync(join(dir, broken));
    writeFileSync(join(dir, broken, 'migration.sql'), 'CREATE TABLE "half_done" (id int);\nINSERT INTO "half_done" VALUES (1);\nINSERT INTO "no_such_table" VALUES (1);\n');
    const { driver, url } = await fresh();

    const err = await new Migrator(driver, dir).migrate().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain(broken);
    expect((err as Error).message).toMatch(/rolled back/);
    expect((err as Error).message).toMatch(/no_such_table/);

    const rows = await driver.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`);
    expect(rows.map((r) => r.migration_name)).toEqual(NAMES);
    expect(await tableExists(driver, 'half_done')).toBe(false);
    expect(await tableExists(driver, 'accounts')).toBe(true);
    expect(await new Migrator(driver, MIGRATIONS_DIR).status()).toEqual({ applied: NAMES, pending: [], unknown: [] });

    // The lock was released: another runner (another pool on PostgreSQL) gets through once the file is fixed.
    writeFileSync(join(dir, broken, 'migration.sql'), 'CREATE TABLE "half_done" (id int);\n');
    const other = url ? new PgDriver(url, 1) : driver;
    if (other !== driver) open.push(other);
    const again = await Promise.race([
      new Migrator(other, dir).migrate(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('migration lock still held')), 10_000)),
    ]);
    expect(again).toEqual([broken]);
    expect(await tableExists(driver, 'half_done')).toBe(true);
  });

  it('a migration recorded as started but not finished stops the runner with a clear message', async () => {
    const { driver } = await fresh();
    const m = new Migrator(driver, MIGRATIONS_DIR);
    await m.migrate();
    const half = '20990101000000_half_applied';
    await driver.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count) VALUES ($1, $2, NULL, $3, NULL, now(), 0)`,
      [randomUUID(), 'f'.repeat(64), half],
    );
    const err = await m.migrate().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain(half);
    expect((err as Error).message).toMatch(/not finished/);
    expect((err as Error).message).toMatch(/prisma migrate resolve/);
    await expect(m.status()).rejects.toThrow(half);

    // Resolved as rolled back (what `prisma migrate resolve --rolled-back` does): the runner goes on.
    await driver.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1`, [half]);
    expect(await m.migrate()).toEqual([]);
    expect((await m.status()).unknown).toEqual([]);
  });

  it('createApp with AUTO_MIGRATE=false refuses an unmigrated database, naming what is pending', async () => {
    const { driver, url } = await fresh();
    const config = testConfig({ AUTO_MIGRATE: 'false', ...(url ? { DATABASE_URL: url } : {}) });
    expect(config.autoMigrate).toBe(false);
    const err = await createApp(config, { driver }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/pending migrations/);
    for (const n of NAMES) expect(msg).toContain(n);
    expect(msg).toMatch(/credbroker migrate|AUTO_MIGRATE=true/);
    // Nothing was created on the way.
    expect(await tableExists(driver, '_prisma_migrations')).toBe(false);
    expect(await tableExists(driver, 'accounts')).toBe(false);
    if (url) {
      // Also when createApp opens the database itself.
      await expect(createApp(config)).rejects.toThrow(/pending migrations/);
    }

    // Once migrated, the same configuration starts.
    await new Migrator(driver, MIGRATIONS_DIR).migrate();
    const app = await createApp(config, { driver });
    await app.init();
    await app.close();
  });
});

if (PG_URL) {
  describe('migration runner on PostgreSQL, concurrently', () => {
    it('instances migrating one fresh database at the same time all succeed, and each migration is applied once', async () => {
      const url = await createPgDatabase();
      const drivers = [new PgDriver(url, 2), new PgDriver(url, 2), new PgDriver(url, 2)];
      try {
        const results = await Promise.all(drivers.map((d) => new Migrator(d, MIGRATIONS_DIR).migrate()));
        expect(results.flat().sort()).toEqual([...NAMES].sort());
        const rows = await drivers[0].query<{ migration_name: string; n: string }>(`SELECT migration_name, count(*)::text AS n FROM "_prisma_migrations" GROUP BY migration_name ORDER BY migration_name`);
        expect(rows).toEqual(NAMES.map((n) => ({ migration_name: n, n: '1' })));
        for (const d of drivers) expect(await new Migrator(d, MIGRATIONS_DIR).status()).toEqual({ applied: NAMES, pending: [], unknown: [] });
      } finally {
        for (const d of drivers) await d.close();
      }
    });
  });
}
