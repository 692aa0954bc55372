import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { SCOPE_TERMINATOR } from './types.js';

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', 'AWS4' + secretAccessKey).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update(SCOPE_TERMINATOR).digest();
}

const BLOCK = 64;

/**
 * HMAC-SHA256 under one fixed key (RFC 2104), as two one-shot SHA-256 calls over the key's precomputed
 * inner and outer pads. Same bytes as `createHmac('sha256', key)`, without creating an OpenSSL HMAC
 * context per call: for the short strings SigV4 signs that context is most of the cost, and this runs
 * once per signed request. Not re-entrant across threads (it has none): `digest` is synchronous and
 * reuses its scratch buffers.
 */
export class HmacSha256 {
  private inner: Buffer;
  private readonly outer = Buffer.alloc(BLOCK + 32);

  constructor(key: Buffer) {
    const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
    this.inner = Buffer.alloc(BLOCK + 256);
    for (let i = 0; i < BLOCK; i++) {
      const b = i < k.length ? k[i]! : 0;
      this.inner[i] = b ^ 0x36;
      this.outer[i] = b ^ 0x5c;
    }
  }

  /** HMAC of the UTF-8 bytes of `data`. */
  digest(data: string): Buffer {
    const out = Buffer.allocUnsafe(32);
    this.digestInto(data, out);
    return out;
  }

  /**
   * HMAC of the UTF-8 bytes of `data`, written to `out[0..32)`. Allocates no buffer: both SHA-256
   * results come back as 32-character binary (latin1) strings, one byte per character, written into
   * place, where `hash(…, 'buffer')` would create a new ArrayBuffer for each, which costs more than
   * the hash itself and leaves backing stores for the garbage collector on every signed request.
   */
  digestInto(data: string, out: Buffer): void {
    const len = Buffer.byteLength(data, 'utf8');
    if (BLOCK + len > this.inner.length) {
      const grown = Buffer.alloc(BLOCK + len);
      this.inner.copy(grown, 0, 0, BLOCK);
      this.inner = grown;
    }
    this.inner.write(data, BLOCK, 'utf8');
    this.outer.write(hash('sha256', this.inner.subarray(0, BLOCK + len), 'binary'), BLOCK, 'latin1');
    out.write(hash('sha256', this.outer, 'binary'), 0, 'latin1');
  }
}

interface Entry {
  /** The secret the key was derived from: an entry serves that secret only. */
  secret: string;
  key: Buffer;
  hmac: HmacSha256;
  /** Hit since the eviction scan last passed it (second chance). */
  used: boolean;
}

/**
 * Bounded cache of derived signing keys (approximately LRU: second chance), keyed by
 * accessKeyId/date/region/service. Each entry remembers the secret it was derived from and is used
 * for that secret only, so a rotated (or wrong) secret never hits a key derived from another one (it replaces the entry). Keeping the secret beside its derived
 * key exposes nothing more than the key itself, which is secret-equivalent for its day, region and
 * service; neither leaves this object except to sign. (A SHA-256 of the secret as part of the map key
 * did the same job for one extra hash per request.)
 *
 * None of accessKeyId / date / region / service can contain '/' (parse.ts validates them), so the
 * '/'-joined key is unambiguous.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly maxEntries = 1024) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  /** The signing key for this scope. */
  get(accessKeyId: string, secretAccessKey: string, date: string, region: string, service: string): Buffer {
    return this.entry(accessKeyId, secretAccessKey, date, region, service).key;
  }

  /** HMAC-SHA256 of `stringToSign` under the signing key for this scope: the signature's bytes. */
  sign(accessKeyId: string, secretAccessKey: string, date: string, region: string, service: string, stringToSign: string): Buffer {
    return this.entry(accessKeyId, secretAccessKey, date, region, service).hmac.digest(stringToSign);
  }

  /**
   * Whether `provided` (32 bytes) is the signature of `stringToSign` under this scope's signing key,
   * compared in constant time (crypto.timingSafeEqual). The computed signature goes to a scratch buffer
   * that is overwritten by the next call and never leaves this object.
   */
  matches(accessKeyId: string, secretAccessKey: string, date: string, region: string, service: string, stringToSign: string, provided: Buffer): boolean {
    this.entry(accessKeyId, secretAccessKey, date, region, service).hmac.digestInto(stringToSign, this.scratch);
    return provided.length === 32 && timingSafeEqual(this.scratch, provided);
  }

  private readonly scratch = Buffer.alloc(32);

  private entry(accessKeyId: string, secretAccessKey: string, date: string, region: string, service: string): Entry {
    const id = accessKeyId + '/' + date + '/' + region + '/' + service;
    const hit = this.entries.get(id);
    if (hit !== undefined && hit.secret === secretAccessKey) {
      hit.used = true;
      return hit;
    }
    const key = deriveSigningKey(secretAccessKey, date, region, service);
    const fresh: Entry = { secret: secretAccessKey, key, hmac: new HmacSha256(key), used: false };
    if (hit !== undefined) this.entries.delete(id);
    else if (this.entries.size >= this.maxEntries) this.evictOne();
    this.entries.set(id, fresh);
    return fresh;
  }

  /**
   * Second chance (CLOCK), the usual approximation of LRU: Map iterates in insertion order, so the
   * oldest entry comes first; one used since it was last passed over goes to the back with its mark
   * cleared, and the first unmarked one is evicted. A hit only sets a flag, where a strict LRU would
   * delete and re-insert its entry on every signed request.
   */
  private evictOne(): void {
    for (const [id, e] of this.entries) {
      this.entries.delete(id);
      if (!e.used) return;
      e.used = false;
      this.entries.set(id, e);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The process-wide cache `verifySigV4` and `signRequest` use unless given another. */
export const defaultSigningKeyCache = new SigningKeyCache();
