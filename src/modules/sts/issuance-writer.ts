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
/** Independent commit lanes; an account always uses the same one. */
const LANES = 4;
/**
 * Transactions in flight per lane: the second inserts its session rows while
 * the first still holds the audit heads, then waits for them.
 */
const PER_LANE = 2;

interface Lane {
  queue: Pending[];
  inFlight: number;
}

/**
 * Group commit of issued credentials. Each session row and its audit record
 * commit in the same transaction, and the caller's promise resolves only after
 * that commit: nothing is returned that is not durably recorded, nothing is
 * recorded without its audit. Accounts are spread over LANES independent
 * lanes (by a hash of the account ID); each lane has at most PER_LANE
 * transactions in flight, and the issuances that arrive meanwhile commit
 * together in the next one, whatever their accounts: one multi-row insert of sessions, the
 * accounts' audit heads locked in one statement (in chain order, so
 * transactions of different lanes, or other audited changes, cannot deadlock
 * with it), one multi-row insert of audit records. Lanes never wait for each
 * other. If a batch fails, its issuances are retried one by one, so one bad
 * item cannot fail the others.
 */
@Injectable()
export class IssuanceWriter {
  private readonly lanes: Lane[] = Array.from({ length: LANES }, () => ({ queue: [], inFlight: 0 }));

  constructor(
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
    private readonly audit: AuditService,
    private readonly sessions: StsSessionsRepository,
  ) {}

  write(issuance: Issuance): Promise<void> {
    const lane = this.lanes[laneOf(issuance.audit.chain)]!;
    return new Promise<void>((resolve, reject) => {
      lane.queue.push({ issuance, resolve, reject });
      if (lane.inFlight < PER_LANE) void this.drain(lane);
    });
  }

  private async drain(lane: Lane): Promise<void> {
    lane.inFlight++;
    try {
      while (lane.queue.length) {
        // Let requests already being handled reach the queue first: on the embedded database the
        // SQL runs on this thread, so without this pause batches stay small.
        await new Promise((r) => setImmediate(r));
        const batch = lane.queue.splice(0, MAX_BATCH);
        try {
          await this.commit(batch.map((p) => p.issuance));
          for (const p of batch) p.resolve();
        } catch (e) {
          if (batch.length === 1) batch[0]!.reject(e);
          else for (const p of batch) await this.commit([p.issuance]).then(p.resolve, p.reject);
        }
      }
    } finally {
      lane.inFlight--;
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

function laneOf(chain: string): number {
  let h = 0;
  for (let i = 0; i < chain.length; i++) h = (h * 31 + chain.charCodeAt(i)) >>> 0;
  return h % LANES;
}
