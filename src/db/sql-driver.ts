import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { DatabaseConfig } from '../config/app-config.js';

export interface QueryOptions {
  /**
   * A statement run very often (the issuance group commit): PostgreSQL keeps it
   * parsed, and after a few runs planned, on each connection instead of parsing
   * and planning its text every time. Few distinct texts only: each is a
   * prepared statement on every pooled connection (beyond MAX_PREPARED they run unprepared).
   */
  prepare?: boolean;
}

/** One connection, for work that must stay on it (advisory locks, transactions). */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<T[]>;
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

/** Distinct statement texts prepared by name on each connection. */
const MAX_PREPARED = 32;
const preparedNames = new Map<string, string>();

/** pg's query config: by name (a prepared statement) when asked and still within MAX_PREPARED texts. */
function pgQuery(sql: string, params: unknown[] | undefined, opts: QueryOptions | undefined): pg.QueryConfig {
  if (!opts?.prepare) return { text: sql, values: params };
  let name = preparedNames.get(sql);
  if (name === undefined && preparedNames.size < MAX_PREPARED) preparedNames.set(sql, (name = `cb_${preparedNames.size}`));
  return name === undefined ? { text: sql, values: params } : { name, text: sql, values: params };
}

export class PgDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;

  constructor(url: string, max: number) {
    this.pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
    // An idle client's error (server restart) must not crash the process.
    this.pool.on('error', () => undefined);
  }

  async query<T>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<T[]> {
    return (await this.pool.query(pgQuery(sql, params, opts))).rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async withSession<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await fn({
        query: async <R>(sql: string, params?: unknown[], opts?: QueryOptions) => (await client.query(pgQuery(sql, params, opts))).rows as R[],
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
