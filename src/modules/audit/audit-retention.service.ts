import { Inject, Injectable } from '@nestjs/common';
import { rootArn } from '../../common/arn.js';
import type { ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { SQL_DRIVER } from '../../db/database.module.js';
import type { SqlDriver } from '../../db/sql-driver.js';
import { AuditService, type AuditActor } from './audit.service.js';
import { AuditVerifyService } from './audit-verify.service.js';

export interface RetentionView {
  accountId: string;
  retentionDays: number | null;
  /** The last pruned record (verification of the retained records starts after it). */
  anchor: { seq: string; hash: string; prunedAt: string } | null;
}

export interface PruneResult {
  accountId: string;
  pruned: number;
  /** Records up to and including this seq are gone; it is the new anchor. */
  throughSeq: string | null;
  reason?: string;
}

const DAY_MS = 86_400_000;

/**
 * Per-account retention: records older than the period may be deleted, but
 * only up to the last signed digest (what was exported/signed), and only after
 * the range verifies. The last pruned record's seq and hash stay as the
 * chain's anchor, so what remains still verifies from it.
 */
@Injectable()
export class AuditRetentionService {
  constructor(
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
    private readonly audit: AuditService,
    private readonly verify: AuditVerifyService,
  ) {}

  async get(chain: string): Promise<RetentionView> {
    await this.requireChain(chain);
    const [s] = await this.driver.query<{ retentionDays: number | null }>('SELECT "retentionDays" FROM "audit_settings" WHERE "chain" = $1', [chain]);
    const [a] = await this.driver.query<{ seq: string; hash: string; prunedAt: Date }>(
      'SELECT "seq"::text AS "seq", "hash", "prunedAt" FROM "audit_anchors" WHERE "chain" = $1',
      [chain],
    );
    return {
      accountId: chain,
      retentionDays: s?.retentionDays ?? null,
      anchor: a ? { seq: a.seq, hash: a.hash, prunedAt: new Date(a.prunedAt).toISOString() } : null,
    };
  }

  async set(chain: string, retentionDays: number | null, actor: AuditActor | null, client: ClientInfo): Promise<RetentionView> {
    await this.requireChain(chain);
    await this.driver.transaction(async (s) => {
      await s.query(
        `INSERT INTO "audit_settings" ("chain", "retentionDays", "updatedAt") VALUES ($1, $2, now())
         ON CONFLICT ("chain") DO UPDATE SET "retentionDays" = EXCLUDED."retentionDays", "updatedAt" = now()`,
        [chain, retentionDays],
      );
      await this.audit.appendBatch(s, [
        { chain, action: 'audit:PutRetention', outcome: 'success', actor, resourceArn: rootArn(chain), client, details: { retentionDays } },
      ]);
    });
    return this.get(chain);
  }

  async prune(chain: string, actor: AuditActor | null, client: ClientInfo, now = new Date()): Promise<PruneResult> {
    const settings = await this.get(chain);
    if (settings.retentionDays === null) throw DomainError.validation('The account has no audit retention period: set one first.');
    const cutoff = new Date(now.getTime() - settings.retentionDays * DAY_MS);
    const d = this.driver;
    const [signed] = await d.query<{ s: string | null }>('SELECT max("headSeq")::text AS s FROM "audit_digests" WHERE "chain" = $1', [chain]);
    if (!signed?.s) return { accountId: chain, pruned: 0, throughSeq: null, reason: 'no signed digest yet: records are pruned only up to the last signed digest' };
    // Everything up to the first record inside the retention period (time is not strictly monotonic in seq).
    const [keep] = await d.query<{ s: string | null }>('SELECT min("seq")::text AS s FROM "audit_events" WHERE "chain" = $1 AND "time" >= $2', [chain, cutoff]);
    let through = BigInt(signed.s);
    if (keep?.s && BigInt(keep.s) - 1n < through) through = BigInt(keep.s) - 1n;
    const from = settings.anchor ? BigInt(settings.anchor.seq) : 0n;
    if (through <= from) return { accountId: chain, pruned: 0, throughSeq: null, reason: 'nothing older than the retention period up to the last signed digest' };
    // Never prune what does not verify: that would hide tampering behind a fresh anchor.
    const check = await this.verify.verify(chain, { toSeq: through });
    if (!check.ok) {
      throw new DomainError(ErrorCode.ValidationError, `The audit chain does not verify (${check.brokenAt!.kind} at ${check.brokenAt!.seq}): nothing was pruned.`);
    }
    const pruned = await d.transaction(async (s) => {
      const [row] = await s.query<{ hash: string }>('SELECT "hash" FROM "audit_events" WHERE "chain" = $1 AND "seq" = $2::bigint', [chain, through.toString()]);
      if (!row) throw DomainError.validation('The audit chain changed while pruning: try again.');
      const del = await s.query<{ n: string }>(
        'WITH d AS (DELETE FROM "audit_events" WHERE "chain" = $1 AND "seq" <= $2::bigint RETURNING 1) SELECT count(*)::text AS n FROM d',
        [chain, through.toString()],
      );
      await s.query(
        `INSERT INTO "audit_anchors" ("chain", "seq", "hash", "prunedAt") VALUES ($1, $2::bigint, $3, now())
         ON CONFLICT ("chain") DO UPDATE SET "seq" = EXCLUDED."seq", "hash" = EXCLUDED."hash", "prunedAt" = now()
         WHERE "audit_anchors"."seq" < EXCLUDED."seq"`,
        [chain, through.toString(), row.hash],
      );
      const n = Number(del[0]?.n ?? 0);
      await this.audit.appendBatch(s, [
        {
          chain, action: 'audit:PruneAuditRecords', outcome: 'success', actor, resourceArn: rootArn(chain), client,
          details: { throughSeq: through.toString(), pruned: n, retentionDays: settings.retentionDays, cutoff: cutoff.toISOString() },
        },
      ]);
      return n;
    });
    return { accountId: chain, pruned, throughSeq: through.toString() };
  }

  private async requireChain(chain: string): Promise<void> {
    const [h] = await this.driver.query('SELECT 1 FROM "audit_heads" WHERE "chain" = $1', [chain]);
    if (!h) throw DomainError.noSuchEntity('The account');
  }
}
