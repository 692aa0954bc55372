import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import { PgDriver, PgliteDriver, type SqlDriver } from './sql-driver.js';

/** A Prisma client or an open transaction: repositories accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;
export type Tx = Prisma.TransactionClient;

/** What runs once each open transaction of `PrismaService.transaction` commits. */
const afterCommitHooks = new WeakMap<object, (() => void)[]>();

/** Prisma over the same driver the migration runner used (one pool / one PGlite). */
export class PrismaService extends PrismaClient {
  constructor(readonly driver: SqlDriver) {
    const adapter =
      driver instanceof PgDriver ? new PrismaPg(driver.pool) : new PrismaPGlite((driver as PgliteDriver).db);
    super({ adapter, transactionOptions: { maxWait: 10_000, timeout: 20_000 } });
  }

  /** Runs `fn` in one transaction: a change and its audit record commit together. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const hooks: (() => void)[] = [];
    const result = await this.$transaction((tx) => {
      afterCommitHooks.set(tx, hooks);
      return fn(tx);
    });
    for (const hook of hooks) hook();
    return result;
  }

  /**
   * Runs `hook` once `db`'s transaction has committed, never if it rolls back; at once when `db` is no
   * transaction of `transaction()` (the plain client: each statement commits by itself). For in-memory
   * state that mirrors the database, such as a cache to clear: cleared inside the transaction, a read
   * racing the commit could cache the old rows again.
   */
  afterCommit(db: Db, hook: () => void): void {
    const hooks = afterCommitHooks.get(db);
    if (hooks) hooks.push(hook);
    else hook();
  }
}
