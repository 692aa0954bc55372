import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlDriver, SqlSession } from './sql-driver.js';

/** Prisma Migrate's own advisory lock key, so we also interlock with `prisma migrate deploy`. */
const ADVISORY_LOCK_KEY = 72707369;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied in the database but absent here (a newer broker ran): reported, not fatal. */
  unknown: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Prisma's table, created exactly as Prisma Migrate creates it. */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function readMigrations(dir: string): LocalMigration[] {
  if (!existsSync(dir)) throw new MigrationError(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const buf = readFileSync(join(dir, name, 'migration.sql'));
      return { name, sql: buf.toString('utf8'), checksum: createHash('sha256').update(buf).digest('hex') };
    });
}

/**
 * Applies prisma/migrations/<name>/migration.sql in order, each in its own
 * transaction, recording them in `_prisma_migrations` the way Prisma Migrate
 * does (checksum = sha256 hex of the file), so `prisma migrate deploy`
 * elsewhere sees them as applied. Instances starting together serialise on a
 * PostgreSQL advisory lock; a changed applied file stops everything.
 */
export class Migrator {
  constructor(
    private readonly driver: SqlDriver,
    private readonly dir: string,
  ) {}

  async status(): Promise<MigrationStatus> {
    const local = readMigrations(this.dir);
    const exists = await this.driver.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
    const applied = exists[0]?.t ? await this.appliedRows(this.driver) : [];
    return this.compare(local, applied);
  }

  /** Applies what is pending; returns the names applied by this call. */
  async migrate(log: (msg: string) => void = () => undefined): Promise<string[]> {
    const local = readMigrations(this.dir);
    return this.driver.withSession(async (s) => {
      await s.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
      try {
        await s.exec(CREATE_TABLE);
        const { pending } = this.compare(local, await this.appliedRows(s));
        const done: string[] = [];
        for (const name of pending) {
          const m = local.find((l) => l.name === name)!;
          log(`applying migration ${m.name}`);
          await this.applyOne(s, m);
          done.push(m.name);
        }
        return done;
      } finally {
        await s.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
      }
    });
  }

  private async applyOne(s: SqlSession, m: LocalMigration): Promise<void> {
    await s.exec('BEGIN');
    try {
      await s.exec(m.sql);
      await s.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
         VALUES ($1, $2, now(), $3, NULL, now(), 1)`,
        [randomUUID(), m.checksum, m.name],
      );
      await s.exec('COMMIT');
    } catch (e) {
      await s.exec('ROLLBACK').catch(() => undefined);
      throw new MigrationError(`migration ${m.name} failed and was rolled back: ${(e as Error).message}`);
    }
  }

  private async appliedRows(s: SqlSession): Promise<AppliedRow[]> {
    return s.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
    );
  }

  private compare(local: LocalMigration[], rows: AppliedRow[]): MigrationStatus {
    const live = rows.filter((r) => r.rolled_back_at === null);
    const failed = live.find((r) => r.finished_at === null);
    if (failed) {
      throw new MigrationError(
        `migration ${failed.migration_name} is recorded as started but not finished; resolve it (prisma migrate resolve) before starting`,
      );
    }
    const byName = new Map(live.map((r) => [r.migration_name, r]));
    for (const m of local) {
      const row = byName.get(m.name);
      if (row && row.checksum !== m.checksum) {
        throw new MigrationError(
          `migration ${m.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ` +
            `${m.checksum.slice(0, 12)}… on disk); restore the file and add a new migration instead`,
        );
      }
    }
    const localNames = new Set(local.map((m) => m.name));
    return {
      applied: local.filter((m) => byName.has(m.name)).map((m) => m.name),
      pending: local.filter((m) => !byName.has(m.name)).map((m) => m.name),
      unknown: [...byName.keys()].filter((n) => !localNames.has(n)),
    };
  }
}
