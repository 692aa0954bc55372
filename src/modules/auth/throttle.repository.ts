import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../db/prisma.service.js';

/** Failed-attempt counters shared by every broker instance (in the database). */
@Injectable()
export class ThrottleRepository {
  constructor(private readonly prisma: PrismaService) {}

  async lockedUntil(keys: string[]): Promise<Date | null> {
    const rows = await this.prisma.signInThrottle.findMany({
      where: { key: { in: keys }, lockedUntil: { gt: new Date() } },
      select: { lockedUntil: true },
    });
    const times = rows.map((r) => r.lockedUntil!.getTime());
    return times.length ? new Date(Math.max(...times)) : null;
  }

  /** Counts one failure atomically (a quiet hour resets the count); returns the new count. */
  async fail(key: string, decaySeconds: number): Promise<number> {
    const rows = await this.prisma.$queryRaw<{ failures: number }[]>`
      INSERT INTO "signin_throttles" ("key", "failures", "lastFailureAt") VALUES (${key}, 1, now())
      ON CONFLICT ("key") DO UPDATE SET
        "failures" = CASE WHEN "signin_throttles"."lastFailureAt" < now() - make_interval(secs => ${decaySeconds}) THEN 1
                          ELSE "signin_throttles"."failures" + 1 END,
        "lastFailureAt" = now()
      RETURNING "failures"`;
    return Number(rows[0].failures);
  }

  async lock(key: string, until: Date): Promise<void> {
    await this.prisma.signInThrottle.updateMany({ where: { key }, data: { lockedUntil: until } });
  }

  async clear(keys: string[]): Promise<void> {
    await this.prisma.signInThrottle.deleteMany({ where: { key: { in: keys } } });
  }
}
