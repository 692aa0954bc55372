import { PGlite, protocol, types } from '@electric-sql/pglite';
import pg from 'pg';
import type { DatabaseConfig } from '../config/app-config.js';

export interface QueryOptions {
  /**
   * A statement run very often (the issuance group commit): PostgreSQL keeps it
   * parsed, and after a few runs planned, on each connection instead of parsing
   * and planning its text every time. Few distinct texts only: each is a
   * prepared statement on every pooled connection, or in the embedded
   * backend (beyond MAX_PREPARED they run unprepared).
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

/** The statement name of a text run with `prepare`, the same on both drivers; none beyond MAX_PREPARED texts. */
function preparedName(sql: string, opts: QueryOptions | undefined): string | undefined {
  if (!opts?.prepare) return undefined;
  let name = preparedNames.get(sql);
  if (name === undefined && preparedNames.size < MAX_PREPARED) preparedNames.set(sql, (name = `cb_${preparedNames.size}`));
  return name;
}

/** pg's query config: by name (a prepared statement on each connection) when prepared. */
function pgQuery(sql: string, params: unknown[] | undefined, opts: QueryOptions | undefined): pg.QueryConfig {
  const name = preparedName(sql, opts);
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

  /** Statements parsed in this backend, by name (kept per PGlite instance: the names live there). */
  private readonly statements: Map<string, PgliteStatement>;

  constructor(readonly db: PGlite) {
    let prepared = preparedIn.get(db);
    if (!prepared) preparedIn.set(db, (prepared = new Map()));
    this.statements = prepared;
  }

  static async open(dir: string): Promise<PgliteDriver> {
    const db = dir === 'memory://' ? new PGlite() : new PGlite(dir);
    await db.waitReady;
    return new PgliteDriver(db);
  }

  async query<T>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<T[]> {
    const name = preparedName(sql, opts);
    if (name !== undefined) return this.runPrepared<T>(name, sql, params ?? []);
    return (await this.db.query<T>(sql, params as unknown[])).rows;
  }

  /**
   * A prepared statement through PGlite's wire protocol: Bind, Execute and
   * Sync in one message. PGlite's own `query` parses, describes and plans
   * the text on every call, which in WASM costs more than the statement's
   * writes (see docs/benchmarks.md). Takes PGlite's two locks as `query`
   * does (test/e2e/sql-driver.e2e.spec.ts holds it to that), so it never runs
   * inside another caller's transaction.
   */
  private runPrepared<T>(name: string, sql: string, params: unknown[]): Promise<T[]> {
    const db = this.db;
    return db._runExclusiveTransaction(() =>
      db._runExclusiveQuery(async () => {
        let st = this.statements.get(name);
        if (!st) {
          const { messages } = await db.execProtocol(Buffer.concat([protocol.serialize.parse({ name, text: sql }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()]), { syncToFs: false });
          st = { paramTypes: [], fields: [] };
          for (const m of messages) {
            if (m instanceof protocol.messages.ParameterDescriptionMessage) st.paramTypes = m.dataTypeIDs;
            else if (m instanceof protocol.messages.RowDescriptionMessage) st.fields = m.fields.map((f) => ({ name: f.name, type: f.dataTypeID }));
          }
          this.statements.set(name, st);
        }
        const values = params.map((v, i) => (v === null || v === undefined ? null : (db.serializers[st.paramTypes[i]!]?.(v) ?? String(v))));
        const { messages } = await db.execProtocol(Buffer.concat([protocol.serialize.bind({ statement: name, values }), protocol.serialize.execute({}), protocol.serialize.sync()]));
        const rows: T[] = [];
        for (const m of messages) {
          if (!(m instanceof protocol.messages.DataRowMessage)) continue;
          const row: Record<string, unknown> = {};
          m.fields.forEach((v, i) => (row[st.fields[i]!.name] = types.parseType(v, st.fields[i]!.type, db.parsers)));
          rows.push(row as T);
        }
        return rows;
      }),
    );
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
    return fn({ query: (s, p, o) => this.query(s, p, o), exec: (s) => this.exec(s) });
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

/** Statements prepared by name in each embedded backend: parameter types and result fields, read once. */
const preparedIn = new WeakMap<PGlite, Map<string, PgliteStatement>>();

interface PgliteStatement {
  paramTypes: number[];
  fields: { name: string; type: number }[];
}

export async function openSqlDriver(cfg: DatabaseConfig): Promise<SqlDriver> {
  if (cfg.kind === 'postgres') return new PgDriver(cfg.url!, cfg.poolSize);
  return PgliteDriver.open(cfg.pgliteDir!);
}
