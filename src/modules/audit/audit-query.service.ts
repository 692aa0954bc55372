import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { AuditQueryRepository, type AuditEventFilter, type AuditEventRow } from './audit-query.repository.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const TOP_N = 10;
const OUTCOMES = new Set(['success', 'denied', 'error']);

export interface AuditPage {
  items: { cursor: string; row: AuditEventRow }[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Where a page ends: the record's sequence number and time (time-range pages are ordered by time). */
export interface AuditCursor {
  seq: bigint;
  time: Date;
}

/** Cursors are opaque to clients: base64url of the record's sequence number and time (ms). */
export function encodeCursor(row: { seq: bigint; time: Date }): string {
  return Buffer.from(`seq:${row.seq}:${row.time.getTime()}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): AuditCursor {
  const m = /^seq:(\d{1,19}):(\d{1,15})$/.exec(cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString('utf8') : '');
  const time = m ? new Date(Number(m[2])) : null;
  if (!m || !time || Number.isNaN(time.getTime())) throw DomainError.validation('The cursor is not valid: pass an endCursor or cursor returned by this query.');
  return { seq: BigInt(m[1]!), time };
}

function checkFilter(f: AuditEventFilter): void {
  if (f.from && f.to && f.from.getTime() > f.to.getTime()) throw DomainError.validation('from must not be later than to.');
  if (f.outcome !== undefined && !OUTCOMES.has(f.outcome)) throw DomainError.validation('outcome must be one of success, denied, error.');
}

/**
 * Reads of an account's audit records (for any transport; GraphQL today).
 * The caller has checked that the principal may read this account's audit.
 */
@Injectable()
export class AuditQueryService {
  constructor(private readonly repo: AuditQueryRepository) {}

  /** A keyset page, newest first unless `oldestFirst`. Records appended meanwhile never shift it. */
  async events(accountId: string, q: { filter: AuditEventFilter; first?: number; after?: string; oldestFirst?: boolean }): Promise<AuditPage> {
    const first = q.first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw DomainError.validation(`first must be between 1 and ${MAX_PAGE_SIZE}.`);
    checkFilter(q.filter);
    const after = q.after !== undefined && q.after !== null ? decodeCursor(q.after) : undefined;
    const rows = await this.repo.page(accountId, { filter: q.filter, limit: first, after, oldestFirst: !!q.oldestFirst });
    const page = rows.slice(0, first);
    const items = page.map((row) => ({ cursor: encodeCursor(row), row }));
    return { items, hasNextPage: rows.length > first, endCursor: items.length ? items[items.length - 1]!.cursor : null };
  }

  async event(accountId: string, id: string): Promise<AuditEventRow> {
    if (!/^\d{1,19}$/.test(id)) throw DomainError.validation('id must be the record sequence number.');
    const row = await this.repo.findBySeq(accountId, BigInt(id));
    if (!row) throw DomainError.noSuchEntity(`The audit record ${id}`);
    return row;
  }

  /** Counts by action and outcome, the most active principals and the most refused callers, in a time range. */
  async summary(accountId: string, range: { from?: Date; to?: Date }) {
    checkFilter(range);
    const [byActionAndOutcome, topActors, topRefusedCallers, topRefusedSourceIps] = await Promise.all([
      this.repo.countByActionAndOutcome(accountId, range),
      this.repo.topActors(accountId, range, TOP_N),
      this.repo.topActors(accountId, range, TOP_N, 'denied'),
      this.repo.topSourceIps(accountId, range, TOP_N, 'denied'),
    ]);
    return {
      total: byActionAndOutcome.reduce((n, r) => n + r.count, 0),
      byActionAndOutcome,
      topActors: topActors.map((r) => ({ actorArn: r.key!, count: r.count })),
      topRefusedCallers: topRefusedCallers.map((r) => ({ actorArn: r.key!, count: r.count })),
      topRefusedSourceIps: topRefusedSourceIps.map((r) => ({ sourceIp: r.key!, count: r.count })),
    };
  }
}
