import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { DatabaseConfig } from '../config/app-config.js';

/** One connection, for work that must stay on it (advisory locks, transactions). */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
}

/**
 * The raw driver under Prisma: a `pg` pool for PostgreSQL or one PGlite
 * instance (embedded). Used by the migration runner, health checks and the
 * few statements Prisma cannot express; everything else goes through Prisma.
 */
export interface SqlDriver extends SqlSession {
  readonly kind: 'postgres' | 'pglite';
  withSession<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class PgDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;

  constructor(url: string, max: number) {
    this.pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
    // An idle client's error (server restart) must not crash the process.
    this.pool.on('error', () => undefined);
  }

  async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return (await this.pool.query(sql, params as unknown[])).rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async withSession<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await fn({
        query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params as unknown[])).rows as R[],
        exec: async (sql: string) => void (await client.query(sql)),
      });
    } finally {
      client.release();
    }
  }

  async transaction<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return this.withSession(async (s) => {
      await s.exec('BEGIN');
      try {
        const out = await fn(s);
        await s.exec('COMMIT');
        return out;
      } catch (e) {
        await s.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export class PgliteDriver implements SqlDriver {
  readonly kind = 'pglite' as const;

  constructor(readonly db: PGlite) {}

  static async open(dir: string): Promise<PgliteDriver> {
    const db = dir === 'memory://' ? new PGlite() : new PGlite(dir);
    await db.waitReady;
    return new PgliteDriver(db);
  }

  async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return (await this.db.query<T>(sql, params as unknown[])).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  /**
   * PGlite is one connection in this process: a "session" is the instance
   * itself. Callers that open a transaction on it (the migration runner) run
   * before anything else uses the database.
   */
  async withSession<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return fn({ query: (s, p) => this.query(s, p), exec: (s) => this.exec(s) });
  }

  /** PGlite's own transaction: it holds the instance for its duration, so Prisma's queries wait their turn. */
  async transaction<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      fn({ query: async <R>(sql: string, params?: unknown[]) => (await tx.query<R>(sql, params as unknown[])).rows, exec: async (sql: string) => void (await tx.exec(sql)) }),
    );
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

export async function openSqlDriver(cfg: DatabaseConfig): Promise<SqlDriver> {
  if (cfg.kind === 'postgres') return new PgDriver(cfg.url!, cfg.poolSize);
  return PgliteDriver.open(cfg.pgliteDir!);
}
