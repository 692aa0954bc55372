import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { digestToJson } from '../../common/audit/digest.js';
import { endLine, headerLine, recordLine } from '../../common/audit/export-format.js';
import { SQL_DRIVER } from '../../db/database.module.js';
import type { SqlDriver } from '../../db/sql-driver.js';
import { AuditDigestRepository } from './audit-digest.repository.js';
import { AuditVerifyService, streamChainRows } from './audit-verify.service.js';

/**
 * NDJSON export of a range of an account's chain (format: common/audit/export-format.ts):
 * a header with the anchor, the records streamed from the database in
 * keyset batches, the signed digests covering the range, an end line.
 */
@Injectable()
export class AuditExportService {
  constructor(
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
    private readonly verify: AuditVerifyService,
    private readonly digests: AuditDigestRepository,
  ) {}

  /** Resolves the range first (so a bad account fails before any byte is sent), then streams. */
  async export(chain: string, from?: Date, to?: Date): Promise<Readable> {
    const range = await this.verify.resolveRange(chain, { from, to });
    const driver = this.driver;
    const digests = this.digests;
    async function* lines(): AsyncGenerator<string> {
      let anchor = range.anchor;
      let lastSeq: bigint | null = null;
      let lastHash = anchor.hash;
      let count = 0;
      let buf: string[] = [];
      for await (const r of streamChainRows(driver, chain, range.anchor.seq, range.endSeq)) {
        if (count === 0) {
          // The anchor is what the first record links to (its prevHash), verified by the digests offline.
          anchor = { seq: r.seq - 1n, hash: r.prevHash };
          buf.push(headerLine({ chain, anchor, from: from ?? null, to: to ?? null, exportedAt: new Date() }));
        }
        buf.push(recordLine(r));
        count++;
        lastSeq = r.seq;
        lastHash = r.hash;
        if (buf.length >= 500) {
          yield buf.join('\n') + '\n';
          buf = [];
        }
      }
      if (count === 0) buf.push(headerLine({ chain, anchor, from: from ?? null, to: to ?? null, exportedAt: new Date() }));
      // Digests of the range: bounded exports stop at the last record, open ones include every later digest
      // (a digest past the last record means records are missing).
      const covering = await digests.listDigests(chain, { minHeadSeq: anchor.seq, maxHeadSeq: range.open ? undefined : (lastSeq ?? anchor.seq) });
      for (const d of covering) buf.push(JSON.stringify({ type: 'digest', ...digestToJson(d) }));
      buf.push(endLine(count, lastSeq, lastHash));
      yield buf.join('\n') + '\n';
    }
    return Readable.from(lines(), { objectMode: false });
  }
}
