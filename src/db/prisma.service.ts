import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import { PgDriver, PgliteDriver, type SqlDriver } from './sql-driver.js';

/** A Prisma client or an open transaction: repositories accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;
export type Tx = Prisma.TransactionClient;

/** Prisma over the same driver the migration runner used (one pool / one PGlite). */
export class PrismaService extends PrismaClient {
  constructor(readonly driver: SqlDriver) {
    const adapter =
      driver instanceof PgDriver ? new PrismaPg(driver.pool) : new PrismaPGlite((driver as PgliteDriver).db);
    super({ adapter, transactionOptions: { maxWait: 10_000, timeout: 20_000 } });
  }

  /** Runs `fn` in one transaction: a change and its audit record commit together. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.$transaction(fn);
  }
}
