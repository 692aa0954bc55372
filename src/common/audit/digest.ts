import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson, GENESIS_HASH } from './chain.js';
import type { ChainBreak } from './chain-verify.js';

/**
 * A signed statement of a chain's head at the end of a period, naming the
 * previous digest of the same chain (like CloudTrail's digest files): a
 * digest chain of its own, so a removed or rewritten digest is noticed.
 */
export interface DigestFields {
  chain: string;
  digestSeq: bigint;
  periodStart: Date;
  periodEnd: Date;
  headSeq: bigint;
  headHash: string;
  /** digestHash of the previous digest of this chain (GENESIS_HASH for the first). */
  previousDigestHash: string;
  keyId: string;
}

export interface SignedDigest extends DigestFields {
  digestHash: string;
  /** Ed25519 signature of the canonical payload, base64. */
  signature: string;
}

export const FIRST_DIGEST_PREVIOUS = GENESIS_HASH;

/** The signed bytes: a JSON array in a fixed order. */
export function digestPayload(d: DigestFields): string {
  return canonicalJson([
    'cbdigest-v1', d.chain, d.digestSeq.toString(), d.periodStart.toISOString(), d.periodEnd.toISOString(),
    d.headSeq.toString(), d.headHash, d.previousDigestHash, d.keyId,
  ]);
}

export function digestHashOf(d: DigestFields): string {
  return createHash('sha256').update(digestPayload(d)).digest('hex');
}

export function signDigest(privateKey: KeyObject, d: DigestFields): SignedDigest {
  const payload = Buffer.from(digestPayload(d), 'utf8');
  return { ...d, digestHash: digestHashOf(d), signature: sign(null, payload, privateKey).toString('base64') };
}

export function digestSignatureValid(publicKey: KeyObject, d: SignedDigest): boolean {
  try {
    return verify(null, Buffer.from(digestPayload(d), 'utf8'), publicKey, Buffer.from(d.signature, 'base64'));
  } catch {
    return false;
  }
}

/** A key's id: derived from the public key, so anyone can check which key a digest names. */
export function signingKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return 'cbak-' + createHash('sha256').update(der).digest('hex').slice(0, 24);
}

/** Reads a public key: PEM (SPKI) or a JWK (JSON text). Throws on anything else. */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith('{')) {
    const jwk = JSON.parse(t) as Record<string, unknown>;
    return createPublicKey({ key: jwk as never, format: 'jwk' });
  }
  const k = createPublicKey(t);
  if (k.asymmetricKeyType !== 'ed25519') throw new Error('the public key is not an Ed25519 key');
  return k;
}

/**
 * Checks a run of one chain's digests (in digestSeq order): each signature by
 * a known key, the digest hash, consecutive numbers and each naming the one
 * before it. `previous` is the digest before the run, when known.
 */
export function verifyDigestRun(digests: SignedDigest[], keys: Map<string, KeyObject>, previous?: SignedDigest | null): ChainBreak | null {
  let prev = previous ?? null;
  for (const d of digests) {
    const at = d.headSeq;
    const key = keys.get(d.keyId);
    if (!key) return { seq: at, kind: 'signature', message: `digest ${d.digestSeq} is signed by an unknown key ${d.keyId}` };
    if (digestHashOf(d) !== d.digestHash) return { seq: at, kind: 'signature', message: `digest ${d.digestSeq} was changed: its hash does not match` };
    if (!digestSignatureValid(key, d)) return { seq: at, kind: 'signature', message: `digest ${d.digestSeq} has an invalid signature` };
    if (prev) {
      if (d.digestSeq !== prev.digestSeq + 1n) return { seq: at, kind: 'signature', message: `digests ${prev.digestSeq + 1n}..${d.digestSeq - 1n} are missing` };
      if (d.previousDigestHash !== prev.digestHash) return { seq: at, kind: 'signature', message: `digest ${d.digestSeq} does not name digest ${prev.digestSeq}` };
      if (d.headSeq < prev.headSeq) return { seq: at, kind: 'signature', message: `digest ${d.digestSeq} goes back in the chain` };
    } else if (d.digestSeq === 1n && d.previousDigestHash !== FIRST_DIGEST_PREVIOUS) {
      return { seq: at, kind: 'signature', message: 'the first digest names a previous digest' };
    }
    prev = d;
  }
  return null;
}

/** JSON form of a digest (REST, exports). */
export function digestToJson(d: SignedDigest): Record<string, string> {
  return {
    chain: d.chain,
    digestSeq: d.digestSeq.toString(),
    periodStart: d.periodStart.toISOString(),
    periodEnd: d.periodEnd.toISOString(),
    headSeq: d.headSeq.toString(),
    headHash: d.headHash,
    previousDigestHash: d.previousDigestHash,
    keyId: d.keyId,
    digestHash: d.digestHash,
    signature: d.signature,
  };
}

export function digestFromJson(o: Record<string, unknown>): SignedDigest {
  const s = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string') throw new Error(`digest field ${k} is missing`);
    return v;
  };
  const date = (k: string): Date => {
    const d = new Date(s(k));
    if (Number.isNaN(d.getTime())) throw new Error(`digest field ${k} is not a time`);
    return d;
  };
  const int = (k: string): bigint => {
    const v = s(k);
    if (!/^\d{1,19}$/.test(v)) throw new Error(`digest field ${k} is not a number`);
    return BigInt(v);
  };
  return {
    chain: s('chain'), digestSeq: int('digestSeq'), periodStart: date('periodStart'), periodEnd: date('periodEnd'), headSeq: int('headSeq'),
    headHash: s('headHash'), previousDigestHash: s('previousDigestHash'), keyId: s('keyId'), digestHash: s('digestHash'), signature: s('signature'),
  };
}
