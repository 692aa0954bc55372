import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';
import { AuditService, type AuditEntry } from './audit.service.js';

/** Distinct failure keys counted at once; beyond that, failures are counted per chain on one overflow record. */
export const MAX_FAILURE_KEYS = 10_000;
/** Distinct (action, error code) pairs named on one overflow record. */
const MAX_OVERFLOW_KINDS = 50;
/** The action of an overflow record (failures counted when too many distinct ones arrived at once). */
export const OVERFLOW_ACTION = 'audit:RepeatedFailures';

interface Window {
  /** The first failure of the window (already written). */
  first: AuditEntry;
  firstAt: Date;
  lastAt: Date;
  /** Identical failures after the first, not written one by one. */
  repeated: number;
  timer: NodeJS.Timeout;
}

interface Overflow {
  sample: AuditEntry;
  firstAt: Date;
  lastAt: Date;
  repeated: number;
  kinds: Map<string, number>;
  timer: NodeJS.Timeout;
}

/** What makes two failures "identical": chain, action, error code, resource, actor/access key (or subject), source IP. */
export function failureKey(e: AuditEntry, subject?: string | null): string {
  const who = `${e.actor?.arn ?? ''}|${e.actor?.accessKeyId ?? ''}|${subject ?? ''}`;
  return JSON.stringify([e.chain, e.action, e.errorCode ?? '', e.resourceArn ?? '', who, e.client.sourceIp ?? '']);
}

/**
 * Audit records of failed authentication, rate-limited so a flood cannot fill
 * the database: the first failure of a kind is written at once (the request
 * waits for it, like any audited refusal); identical ones within the window
 * (AUDIT_FAILURE_WINDOW_MS) only increment a counter; when the window closes,
 * one summary record is appended with details { repeated, firstAt, lastAt }
 * (records are hash-chained, so the first one is never updated). Memory is
 * bounded: beyond MAX_FAILURE_KEYS distinct kinds, failures are counted per
 * chain on one overflow record. Pending summaries are written on shutdown.
 * Counters are per broker instance.
 */
@Injectable()
export class FailureAggregator implements OnApplicationShutdown {
  private readonly log = new Logger('AuditFailures');
  private readonly windows = new Map<string, Window>();
  private readonly overflows = new Map<string, Overflow>();
  private readonly windowMs: number;
  /** Summary writes in progress (awaited on shutdown). */
  private readonly writing = new Set<Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly audit: AuditService,
  ) {
    this.windowMs = config.auditFailureWindowMs;
  }

  /**
   * Records one failed authentication. `subject` names who failed when the
   * entry has no actor (e.g. an unknown access key ID); never a secret.
   */
  async failed(e: AuditEntry, subject?: string | null): Promise<void> {
    const key = failureKey(e, subject);
    const now = new Date();
    const w = this.windows.get(key);
    if (w) {
      w.repeated++;
      w.lastAt = now;
      return;
    }
    if (this.windows.size >= MAX_FAILURE_KEYS) return this.overflow(e, now);
    const timer = setTimeout(() => this.close(key), this.windowMs);
    timer.unref();
    this.windows.set(key, { first: e, firstAt: now, lastAt: now, repeated: 0, timer });
    try {
      await this.audit.record(e);
    } catch (err) {
      // Not recorded: the next identical failure must try again rather than be counted on nothing.
      const mine = this.windows.get(key);
      if (mine?.timer === timer) {
        clearTimeout(timer);
        this.windows.delete(key);
        if (mine.repeated) this.summarize({ ...mine.first }, mine.repeated, mine.firstAt, mine.lastAt);
      }
      throw err;
    }
  }

  /** Writes every pending summary now (shutdown, tests). */
  async flush(): Promise<void> {
    for (const key of [...this.windows.keys()]) this.close(key);
    for (const chain of [...this.overflows.keys()]) this.closeOverflow(chain);
    await Promise.allSettled([...this.writing]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private overflow(e: AuditEntry, now: Date): void {
    let o = this.overflows.get(e.chain);
    if (!o) {
      const timer = setTimeout(() => this.closeOverflow(e.chain), this.windowMs);
      timer.unref();
      o = { sample: e, firstAt: now, lastAt: now, repeated: 0, kinds: new Map(), timer };
      this.overflows.set(e.chain, o);
    }
    o.repeated++;
    o.lastAt = now;
    const kind = `${e.action} ${e.errorCode ?? ''}`.trim();
    if (o.kinds.has(kind) || o.kinds.size < MAX_OVERFLOW_KINDS) o.kinds.set(kind, (o.kinds.get(kind) ?? 0) + 1);
  }

  private close(key: string): void {
    const w = this.windows.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    this.windows.delete(key);
    if (w.repeated) this.summarize(w.first, w.repeated, w.firstAt, w.lastAt);
  }

  private closeOverflow(chain: string): void {
    const o = this.overflows.get(chain);
    if (!o) return;
    clearTimeout(o.timer);
    this.overflows.delete(chain);
    this.summarize(
      // Client fields are those of the first overflowed failure; `kinds` counts them by action and error code.
      { chain, action: OVERFLOW_ACTION, outcome: 'denied', actor: null, resourceArn: null, client: o.sample.client, details: { kinds: Object.fromEntries(o.kinds), overflow: true } },
      o.repeated,
      o.firstAt,
      o.lastAt,
    );
  }

  /** Appends the window's summary record: the first failure's fields, with the count and the window's span. */
  private summarize(first: AuditEntry, repeated: number, firstAt: Date, lastAt: Date): void {
    const p = this.audit
      .record({ ...first, details: { ...(first.details ?? {}), repeated, firstAt: firstAt.toISOString(), lastAt: lastAt.toISOString() } })
      .catch((err: unknown) => this.log.error(`could not record ${repeated} repeated ${first.action} failures on chain ${first.chain}: ${(err as Error).message}`));
    this.writing.add(p);
    void p.finally(() => this.writing.delete(p));
  }
}
