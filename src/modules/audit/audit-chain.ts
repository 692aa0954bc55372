import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields covered by the hash chain, in their canonical order. */
export interface ChainedRecord {
  chain: string;
  seq: bigint;
  time: Date;
  actorArn: string | null;
  actorType: string | null;
  accessKeyId: string | null;
  sessionName: string | null;
  sourceIdentity: string | null;
  mfa: boolean;
  action: string;
  resourceArn: string | null;
  outcome: string;
  errorCode: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: unknown;
}

/** JSON with object keys sorted at every level: one encoding per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return (
      '{' +
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k]))
        .join(',') +
      '}'
    );
  }
  return JSON.stringify(v);
}

/** Canonical encoding of one record: a JSON array in a fixed field order. */
export function canonicalRecord(r: ChainedRecord): string {
  return canonicalJson([
    'v1',
    r.chain,
    r.seq.toString(),
    r.time.toISOString(),
    r.actorArn,
    r.actorType,
    r.accessKeyId,
    r.sessionName,
    r.sourceIdentity,
    r.mfa,
    r.action,
    r.resourceArn,
    r.outcome,
    r.errorCode,
    r.sourceIp,
    r.userAgent,
    r.requestId,
    r.details ?? null,
  ]);
}

/** hash_n = SHA-256(hash_{n-1} ‖ "\n" ‖ canonical(record_n)), hex. */
export function chainHash(prevHash: string, r: ChainedRecord): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalRecord(r)).digest('hex');
}
