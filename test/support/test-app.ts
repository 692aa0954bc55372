import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { PrismaService } from '../../src/db/prisma.service.js';
import { openSqlDriver, type SqlDriver } from '../../src/db/sql-driver.js';
import { OperatorsService } from '../../src/modules/operators/operators.service.js';

/** Which database the suite runs on: PostgreSQL when DATABASE_URL is set (CI's second run), else PGlite in memory. */
export const DB_KIND = process.env.DATABASE_URL ? 'postgres' : 'pglite';

export interface TestApp {
  app: NestFastifyApplication;
  http: ReturnType<typeof request>;
  prisma: PrismaService;
  driver: SqlDriver;
  config: AppConfig;
  operatorToken: string;
  close(): Promise<void>;
}

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: 'memory://',
    PGLITE_DIR: 'memory://',
    FAST_PASSWORD_HASHING: 'true',
    // One key for every test app, as broker instances sharing a database share MASTER_KEY.
    MASTER_KEY: `test1:${Buffer.alloc(32, 7).toString('base64')}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, DATABASE_POOL_SIZE: '5' } : {}),
    ...env,
  });
}

/** A unique suffix: test files share the PostgreSQL database, so names never collide. */
export const uniq = (p = '') => p + randomBytes(5).toString('hex');

export async function startTestApp(env: Record<string, string> = {}, opts: { driver?: SqlDriver } = {}): Promise<TestApp> {
  const config = testConfig(env);
  const driver = opts.driver ?? (await openSqlDriver(config.database));
  const app = await createApp(config, { driver });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const op = await app.get(OperatorsService).create(uniq('op-'), { requestId: 'test', sourceIp: '127.0.0.1' }, { requireEmpty: false });
  return {
    app,
    http: request(app.getHttpServer()),
    prisma: app.get(PrismaService),
    driver,
    config,
    operatorToken: op.token,
    async close() {
      await app.close();
      if (!opts.driver) await driver.close();
    },
  };
}

/**
 * Two broker instances on one database, as in production: on PostgreSQL each with its own pool; PGlite is one process's
 * database, so both share its driver. `close` closes both.
 */
export async function startTwoInstances(): Promise<{ one: TestApp; two: TestApp; close(): Promise<void> }> {
  if (DB_KIND === 'pglite') {
    const shared = await openSqlDriver(testConfig().database);
    const [one, two] = [await startTestApp({}, { driver: shared }), await startTestApp({}, { driver: shared })];
    return { one, two, close: async () => {
      await Promise.all([one.close(), two.close()]);
      await shared.close();
    } };
  }
  const [one, two] = await Promise.all([startTestApp(), startTestApp()]);
  return { one, two, close: async () => void (await Promise.all([one.close(), two.close()])) };
}

/** Makes the app listen on a free loopback port (for real clients: the AWS SDKs and CLI); returns its base URL. */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
}
