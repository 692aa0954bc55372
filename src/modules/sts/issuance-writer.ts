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
const MAX_BATCH = 256;

/**
 * Group commit of issued credentials, per account. Each session row and its
 * audit record commit in the same transaction, and the caller's promise
 * resolves only after that commit, so nothing is returned that is not durably
 * recorded and nothing is recorded without its audit. While one transaction of
 * an account is committing, the account's next issuances queue up and then
 * commit together: one audit-head lock, one multi-row insert of sessions, one
 * of audit records. Accounts never wait for each other. If a batch fails, its
 * issuances are retried one by one, so one bad item cannot fail the others.
 */
@Injectable()
export class IssuanceWriter {
  private readonly queues = new Map<string, Pending[]>();

  constructor(
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
    private readonly audit: AuditService,
    private readonly sessions: StsSessionsRepository,
  ) {}

  write(issuance: Issuance): Promise<void> {
    const chain = issuance.audit.chain;
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(chain);
      if (queue) {
        queue.push({ issuance, resolve, reject });
        return;
      }
      this.queues.set(chain, [{ issuance, resolve, reject }]);
      void this.drain(chain);
    });
  }

  private async drain(chain: string): Promise<void> {
    const queue = this.queues.get(chain)!;
    while (queue.length) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        await this.commit(chain, batch.map((p) => p.issuance));
        for (const p of batch) p.resolve();
      } catch (e) {
        if (batch.length === 1) batch[0]!.reject(e);
        else
          for (const p of batch) {
            await this.commit(chain, [p.issuance]).then(p.resolve, p.reject);
          }
      }
    }
    this.queues.delete(chain);
  }

  private commit(chain: string, items: Issuance[]): Promise<void> {
    return this.driver.transaction(async (s) => {
      await this.sessions.insertMany(s, items.filter((i) => i.row.issuer === 'local').map((i) => i.row));
      // An AWS credential is recorded once, however many callers it was handed to (shared calls, reuse).
      const upstream = new Map(items.filter((i) => i.row.issuer !== 'local').map((i) => [i.row.accessKeyId, i.row]));
      await this.sessions.insertMany(s, [...upstream.values()], true);
      await this.audit.appendMany(s, chain, items.map((i) => i.audit));
    });
  }
}
