import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../db/prisma.service.js';
import type { Prisma } from '../../generated/prisma/client.js';

export interface AuditEventFilter {
  from?: Date;
  to?: Date;
  actions?: string[];
  actorArn?: string;
  resourceArn?: string;
  outcome?: string;
  sourceIp?: string;
  requestId?: string;
  accessKeyId?: string;
  sourceIdentity?: string;
}

export interface AuditPageQuery {
  filter: AuditEventFilter;
  /** Records to return (the repository reads one more to know whether a next page exists). */
  limit: number;
  /** Keyset: records strictly after this one in the page order. */
  after?: { seq: bigint; time: Date };
  oldestFirst: boolean;
}

/** What the query side reads of a record: everything but the chain links (those are the verifier's). */
const EVENT_SELECT = {
  id: true,
  chain: true,
  seq: true,
  time: true,
  actorArn: true,
  actorType: true,
  accessKeyId: true,
  sessionName: true,
  sourceIdentity: true,
  mfa: true,
  action: true,
  resourceArn: true,
  outcome: true,
  errorCode: true,
  sourceIp: true,
  userAgent: true,
  requestId: true,
  details: true,
  hash: true,
} as const satisfies Prisma.AuditEventSelect;

export type AuditEventRow = Prisma.AuditEventGetPayload<{ select: typeof EVENT_SELECT }>;

export interface CountRow {
  key: string | null;
  count: number;
}

/**
 * Reads of the audit chain for admins (the writer is AuditRepository). Every
 * method takes the chain (the account ID). Pages are keyset pages on
 * (chain, seq): new records get higher sequence numbers, so they never shift a
 * page a client is walking, whatever the order. A page with a time range is
 * ordered by (time, seq) instead, so that it starts at the range's edge in the
 * (chain, time) index rather than walking every newer record in seq order
 * (on a million-record chain: hundreds of milliseconds for a range in the past).
 */
@Injectable()
export class AuditQueryRepository {
  constructor(private readonly prisma: PrismaService) {}

  private where(chain: string, f: AuditEventFilter): Prisma.AuditEventWhereInput {
    const w: Prisma.AuditEventWhereInput = { chain };
    if (f.from || f.to) w.time = { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) };
    if (f.actions?.length) w.action = f.actions.length === 1 ? f.actions[0] : { in: f.actions };
    if (f.actorArn !== undefined) w.actorArn = f.actorArn;
    if (f.resourceArn !== undefined) w.resourceArn = f.resourceArn;
    if (f.outcome !== undefined) w.outcome = f.outcome;
    if (f.sourceIp !== undefined) w.sourceIp = f.sourceIp;
    if (f.requestId !== undefined) w.requestId = f.requestId;
    if (f.accessKeyId !== undefined) w.accessKeyId = f.accessKeyId;
    if (f.sourceIdentity !== undefined) w.sourceIdentity = f.sourceIdentity;
    return w;
  }

  /** One page plus one record (to tell whether there is a next page). */
  async page(chain: string, q: AuditPageQuery): Promise<AuditEventRow[]> {
    const where = this.where(chain, q.filter);
    const dir = q.oldestFirst ? 'asc' : 'desc';
    const past = q.oldestFirst ? 'gt' : 'lt';
    const byTime = !!(q.filter.from || q.filter.to);
    if (q.after && byTime) {
      const { seq, time } = q.after;
      where.AND = [{ OR: [{ time: { [past]: time } }, { time, seq: { [past]: seq } }] }];
    } else if (q.after) {
      where.seq = { [past]: q.after.seq };
    }
    return this.prisma.auditEvent.findMany({
      where,
      select: EVENT_SELECT,
      orderBy: byTime ? [{ time: dir }, { seq: dir }] : { seq: dir },
      take: q.limit + 1,
    });
  }

  async findBySeq(chain: string, seq: bigint): Promise<AuditEventRow | null> {
    return this.prisma.auditEvent.findUnique({ where: { chain_seq: { chain, seq } }, select: EVENT_SELECT });
  }

  /** Counts per (action, outcome) in a time range. */
  async countByActionAndOutcome(chain: string, range: { from?: Date; to?: Date }): Promise<{ action: string; outcome: string; count: number }[]> {
    const rows = await this.prisma.auditEvent.groupBy({
      by: ['action', 'outcome'],
      where: this.where(chain, range),
      _count: { _all: true },
      orderBy: [{ action: 'asc' }, { outcome: 'asc' }],
    });
    return rows.map((r) => ({ action: r.action, outcome: r.outcome, count: r._count._all }));
  }

  /** The principals with the most records (optionally of one outcome) in a time range. */
  async topActors(chain: string, range: { from?: Date; to?: Date }, limit: number, outcome?: string): Promise<CountRow[]> {
    const rows = await this.prisma.auditEvent.groupBy({
      by: ['actorArn'],
      where: { ...this.where(chain, { ...range, outcome }), actorArn: { not: null } },
      _count: { actorArn: true },
      orderBy: [{ _count: { actorArn: 'desc' } }, { actorArn: 'asc' }],
      take: limit,
    });
    return rows.map((r) => ({ key: r.actorArn, count: r._count.actorArn }));
  }

  /** Source addresses with the most refused requests (callers with no principal: failed sign-ins, bad signatures). */
  async topSourceIps(chain: string, range: { from?: Date; to?: Date }, limit: number, outcome: string): Promise<CountRow[]> {
    const rows = await this.prisma.auditEvent.groupBy({
      by: ['sourceIp'],
      where: { ...this.where(chain, { ...range, outcome }), sourceIp: { not: null } },
      _count: { sourceIp: true },
      orderBy: [{ _count: { sourceIp: 'desc' } }, { sourceIp: 'asc' }],
      take: limit,
    });
    return rows.map((r) => ({ key: r.sourceIp, count: r._count.sourceIp }));
  }
}
