import { Controller, Get, HttpCode, Inject, Res as Reply } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/auth.decorators.js';
import { MIGRATIONS_DIR } from '../../common/paths.js';
import { SQL_DRIVER } from '../../db/database.module.js';
import { Migrator } from '../../db/migrator.js';
import type { SqlDriver } from '../../db/sql-driver.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(SQL_DRIVER) private readonly driver: SqlDriver) {}

  /** The process is up. */
  @Get('live')
  @Public()
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  /** The database answers and every migration here is applied. */
  @Get('ready')
  @Public()
  async ready(@Reply() reply: FastifyReply) {
    const checks: Record<string, string> = {};
    try {
      await this.driver.query('SELECT 1');
      checks.database = 'ok';
      const s = await new Migrator(this.driver, MIGRATIONS_DIR).status();
      checks.migrations = s.pending.length ? `pending: ${s.pending.join(', ')}` : 'ok';
    } catch (e) {
      checks.database ??= 'unreachable';
      checks.migrations ??= (e as Error).name === 'MigrationError' ? (e as Error).message : 'unknown';
    }
    const ok = checks.database === 'ok' && checks.migrations === 'ok';
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
  }
}
