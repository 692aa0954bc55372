import { sha256Hex } from '../ids.js';

/** The previous hash of a chain's first record. */
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

/** A stored record: the chained fields plus its links. */
export interface StoredRecord extends ChainedRecord {
  prevHash: string;
  hash: string;
}

/** A record may carry its time already in ISO form (read as text from the database): saves a conversion per record. */
type WithIso = ChainedRecord & { timeIso?: string };

/** JSON with object keys sorted at every level: one encoding per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'bigint':
      return v.toString();
    case 'object':
      break;
    default:
      return JSON.stringify(v);
  }
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + canonicalJson(v[i]);
    return out + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    out += (first ? '' : ',') + quote(k) + ':' + canonicalJson(x);
    first = false;
  }
  return out + '}';
}

/** Characters JSON.stringify escapes (quote, backslash, controls) and surrogates (lone ones are escaped). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** JSON.stringify of a string, without its cost for the common plain string (same bytes). */
const quote = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"');
const str = (s: string | null | undefined): string => (s === null || s === undefined ? 'null' : quote(s));

/**
 * Canonical encoding of one record: a JSON array in a fixed field order,
 * `canonicalJson(['v1', chain, seq as string, time ISO, …, details])`. Built
 * field by field (the same bytes, without walking a temporary array): this is
 * the hot path of chain verification.
 */
export function canonicalRecord(r: WithIso): string {
  return (
    '["v1",' +
    str(r.chain) + ',"' +
    r.seq.toString() + '",' +
    '"' + (r.timeIso ?? r.time.toISOString()) + '",' +
    str(r.actorArn) + ',' +
    str(r.actorType) + ',' +
    str(r.accessKeyId) + ',' +
    str(r.sessionName) + ',' +
    str(r.sourceIdentity) + ',' +
    (r.mfa ? 'true' : 'false') + ',' +
    str(r.action) + ',' +
    str(r.resourceArn) + ',' +
    str(r.outcome) + ',' +
    str(r.errorCode) + ',' +
    str(r.sourceIp) + ',' +
    str(r.userAgent) + ',' +
    str(r.requestId) + ',' +
    canonicalJson(r.details ?? null) +
    ']'
  );
}

/** hash_n = SHA-256(hash_{n-1} ‖ "\n" ‖ canonical(record_n)), hex. */
export function chainHash(prevHash: string, r: WithIso): string {
  return sha256Hex(prevHash + '\n' + canonicalRecord(r));
}
