import type { KeyObject } from 'node:crypto';
import type { StoredRecord } from './chain.js';
import { verifyChain, type ChainBreak, type ChainVerificationResult, type ExpectedEnd } from './chain-verify.js';
import { digestFromJson, verifyDigestRun, type SignedDigest } from './digest.js';

/**
 * NDJSON export of a range of one chain, verifiable offline:
 *   {"type":"header","format":"credbroker-audit-export/1","chain","anchor":{"seq","hash"},"from","to","exportedAt"}
 *   {"type":"record","seq","chain","time",…,"details","prevHash","hash"}   one per record, in seq order
 *   {"type":"digest",…}                                                   the signed digests covering the range
 *   {"type":"end","records","lastSeq","lastHash"}
 */
export const EXPORT_FORMAT = 'credbroker-audit-export/1';

export interface ExportHeader {
  chain: string;
  anchor: { seq: bigint; hash: string };
  from: Date | null;
  to: Date | null;
  exportedAt: Date;
}

export function headerLine(h: ExportHeader): string {
  return JSON.stringify({
    type: 'header', format: EXPORT_FORMAT, chain: h.chain, anchor: { seq: h.anchor.seq.toString(), hash: h.anchor.hash },
    from: h.from?.toISOString() ?? null, to: h.to?.toISOString() ?? null, exportedAt: h.exportedAt.toISOString(),
  });
}

export function recordLine(r: StoredRecord): string {
  return JSON.stringify({
    type: 'record', seq: r.seq.toString(), chain: r.chain, time: r.time.toISOString(), actorArn: r.actorArn, actorType: r.actorType,
    accessKeyId: r.accessKeyId, sessionName: r.sessionName, sourceIdentity: r.sourceIdentity, mfa: r.mfa, action: r.action,
    resourceArn: r.resourceArn, outcome: r.outcome, errorCode: r.errorCode, sourceIp: r.sourceIp, userAgent: r.userAgent,
    requestId: r.requestId, details: r.details ?? null, prevHash: r.prevHash, hash: r.hash,
  });
}

export function endLine(records: number, lastSeq: bigint | null, lastHash: string): string {
  return JSON.stringify({ type: 'end', records, lastSeq: lastSeq?.toString() ?? null, lastHash });
}

export class ExportFormatError extends Error {}

const nullableString = (o: Record<string, unknown>, k: string, line: number): string | null => {
  const v = o[k];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new ExportFormatError(`line ${line}: field ${k} is not a string`);
  return v;
};

function recordFromJson(o: Record<string, unknown>, line: number): StoredRecord {
  const req = (k: string): string => {
    const v = nullableString(o, k, line);
    if (v === null) throw new ExportFormatError(`line ${line}: field ${k} is missing`);
    return v;
  };
  const seq = req('seq');
  if (!/^\d{1,19}$/.test(seq)) throw new ExportFormatError(`line ${line}: seq is not a number`);
  const time = new Date(req('time'));
  if (Number.isNaN(time.getTime())) throw new ExportFormatError(`line ${line}: time is not a time`);
  if (typeof o.mfa !== 'boolean') throw new ExportFormatError(`line ${line}: mfa is not a boolean`);
  return {
    chain: req('chain'), seq: BigInt(seq), time, actorArn: nullableString(o, 'actorArn', line), actorType: nullableString(o, 'actorType', line),
    accessKeyId: nullableString(o, 'accessKeyId', line), sessionName: nullableString(o, 'sessionName', line),
    sourceIdentity: nullableString(o, 'sourceIdentity', line), mfa: o.mfa, action: req('action'), resourceArn: nullableString(o, 'resourceArn', line),
    outcome: req('outcome'), errorCode: nullableString(o, 'errorCode', line), sourceIp: nullableString(o, 'sourceIp', line),
    userAgent: nullableString(o, 'userAgent', line), requestId: nullableString(o, 'requestId', line), details: o.details ?? null,
    prevHash: req('prevHash'), hash: req('hash'),
  };
}

export interface ExportVerification extends ChainVerificationResult {
  chain: string | null;
  digests: number;
}

/**
 * Verifies an export with only the broker's public key(s): the records' chain
 * from the header's anchor, every digest's signature and links, the records
 * against the heads the digests signed, and that the file is complete (its
 * end line). Reports the first broken link.
 */
export async function verifyExport(lines: AsyncIterable<string> | Iterable<string>, keys: Map<string, KeyObject>): Promise<ExportVerification> {
  let header: ExportHeader | null = null;
  const digests: SignedDigest[] = [];
  let end: { records: number; lastSeq: bigint | null; lastHash: string } | null = null;
  const records: StoredRecord[] = [];
  let n = 0;
  const fail = (brokenAt: ChainBreak, chain: string | null = header?.chain ?? null): ExportVerification => ({
    ok: false, checked: 0, firstSeq: null, lastSeq: null, lastHash: '', brokenAt, chain, digests: digests.length,
  });
  // Records are kept in memory only as compact objects; for very large files verify against the database instead.
  for await (const raw of lines as AsyncIterable<string>) {
    n++;
    const text = raw.trim();
    if (!text) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ExportFormatError(`line ${n} is not JSON`);
    }
    if (n === 1 || o.type === 'header') {
      if (o.type !== 'header' || o.format !== EXPORT_FORMAT || n !== 1) throw new ExportFormatError('the file does not start with a credbroker export header');
      const a = o.anchor as Record<string, unknown> | undefined;
      if (!a || typeof a.seq !== 'string' || !/^\d{1,19}$/.test(a.seq) || typeof a.hash !== 'string' || typeof o.chain !== 'string') {
        throw new ExportFormatError('the header has no valid anchor');
      }
      header = { chain: o.chain, anchor: { seq: BigInt(a.seq), hash: a.hash }, from: null, to: null, exportedAt: new Date(String(o.exportedAt)) };
    } else if (o.type === 'record') {
      if (digests.length || end) throw new ExportFormatError(`line ${n}: a record after the digests`);
      records.push(recordFromJson(o, n));
    } else if (o.type === 'digest') {
      try {
        digests.push(digestFromJson(o));
      } catch (e) {
        throw new ExportFormatError(`line ${n}: ${(e as Error).message}`);
      }
    } else if (o.type === 'end') {
      if (typeof o.records !== 'number' || typeof o.lastHash !== 'string') throw new ExportFormatError(`line ${n}: bad end line`);
      end = { records: o.records, lastSeq: typeof o.lastSeq === 'string' ? BigInt(o.lastSeq) : null, lastHash: o.lastHash };
    } else {
      throw new ExportFormatError(`line ${n}: unknown line type`);
    }
  }
  if (!header) throw new ExportFormatError('the file is empty');
  const chain = header.chain;
  digests.sort((a, b) => (a.digestSeq < b.digestSeq ? -1 : a.digestSeq > b.digestSeq ? 1 : 0));
  for (const d of digests) {
    if (d.chain !== chain) return fail({ seq: d.headSeq, kind: 'signature', message: `digest ${d.digestSeq} belongs to chain ${d.chain}` });
  }
  const digestBreak = verifyDigestRun(digests, keys);
  if (digestBreak) return fail(digestBreak);

  const checkpoints = new Map<bigint, { hash: string; source: string }>();
  const ends: ExpectedEnd[] = [];
  for (const d of digests) {
    const source = `digest ${d.digestSeq}`;
    if (d.headSeq === header.anchor.seq && d.headHash !== header.anchor.hash) {
      return fail({ seq: d.headSeq, kind: 'edited', message: `the export's anchor does not have the hash signed by ${source}` });
    }
    if (d.headSeq > header.anchor.seq) {
      checkpoints.set(d.headSeq, { hash: d.headHash, source });
      ends.push({ seq: d.headSeq, exact: false, source });
    }
  }
  if (!end) {
    ends.push({ seq: (records.at(-1)?.seq ?? header.anchor.seq) + 1n, exact: false, source: 'the end of the file (its end line is missing)' });
  } else if (end.lastSeq !== null) {
    ends.push({ seq: end.lastSeq, hash: end.lastHash, exact: true, source: 'the end line' });
  }
  const res = await verifyChain(records, { chain, anchor: header.anchor, ends, checkpoints });
  if (res.ok && end && end.records !== records.length) {
    // The links hold but the count does not (the end line was edited): report it at the end.
    const last = records.at(-1)?.seq ?? header.anchor.seq;
    return { ...res, ok: false, chain, digests: digests.length, brokenAt: { seq: last, kind: 'edited', message: `the end line counts ${end.records} records, the file has ${records.length}` } };
  }
  return { ...res, chain, digests: digests.length };
}
