import { Inject, Injectable } from '@nestjs/common';
import { SQL_DRIVER } from '../../db/database.module.js';
import type { SqlDriver } from '../../db/sql-driver.js';
import { AuditService, type AuditEntry } from '../audit/audit.service.js';
import { StsSessionsRepository, type NewStsSession } from './sts-sessions.repository.js';

/** What one issuance writes: the session row and its audit record. */
export interface Issuance {
  row: NewStsSession;
  audit: AuditEntry;
}

interface Pending {
  issuance: Issuance;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Most issuances committed in one transaction. */
const MAX_BATCH = 512;
/** Transactions in flight at once (each takes everything queued when it starts). */
const MAX_IN_FLIGHT = 4;

/**
 * Group commit of issued credentials. Each session row and its audit record
 * commit in the same transaction, and the caller's promise resolves only after
 * that commit: nothing is returned that is not durably recorded, nothing is
 * recorded without its audit. Issuances that arrive while transactions are
 * committing queue up and commit together, whatever their accounts: one
 * multi-row insert of sessions, the accounts' audit heads locked in one
 * statement (in chain order, so concurrent batches cannot deadlock), one
 * multi-row insert of audit records. Up to MAX_IN_FLIGHT batches commit at
 * once; batches that share an account order themselves on its head row. If a
 * batch fails, its issuances are retried one by one, so one bad item cannot
 * fail the others.
 */
@Injectable()
export class IssuanceWriter {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
    private readonly audit: AuditService,
    private readonly sessions: StsSessionsRepository,
  ) {}

  write(issuance: Issuance): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ issuance, resolve, reject });
      if (this.inFlight < MAX_IN_FLIGHT) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight++;
    try {
      // Let requests already being handled reach the queue first: on the embedded database the
      // SQL runs on this thread, so without this pause batches stay small.
      await new Promise((r) => setImmediate(r));
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.commit(batch.map((p) => p.issuance));
          for (const p of batch) p.resolve();
        } catch (e) {
          if (batch.length === 1) batch[0]!.reject(e);
          else for (const p of batch) await this.commit([p.issuance]).then(p.resolve, p.reject);
        }
      }
    } finally {
      this.inFlight--;
    }
  }

  private commit(items: Issuance[]): Promise<void> {
    return this.driver.transaction(async (s) => {
      await this.sessions.insertMany(s, items.filter((i) => i.row.issuer === 'local').map((i) => i.row));
      // An AWS credential is recorded once, however many callers it was handed to (shared calls, reuse).
      const upstream = new Map(items.filter((i) => i.row.issuer !== 'local').map((i) => [i.row.accessKeyId, i.row]));
      await this.sessions.insertMany(s, [...upstream.values()], true);
      await this.audit.appendBatch(s, items.map((i) => i.audit));
    });
  }
}
