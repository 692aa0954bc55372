import { createHmac, hash } from 'node:crypto';
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
    const len = Buffer.byteLength(data, 'utf8');
    if (BLOCK + len > this.inner.length) {
      const grown = Buffer.alloc(BLOCK + len);
      this.inner.copy(grown, 0, 0, BLOCK);
      this.inner = grown;
    }
    this.inner.write(data, BLOCK, 'utf8');
    const innerHash = hash('sha256', this.inner.subarray(0, BLOCK + len), 'buffer') as unknown as Buffer;
    innerHash.copy(this.outer, BLOCK);
    return hash('sha256', this.outer, 'buffer') as unknown as Buffer;
  }
}

interface Entry {
  /** The secret the key was derived from: an entry serves that secret only. */
  secret: string;
  key: Buffer;
  hmac: HmacSha256;
}

/**
 * Bounded LRU of derived signing keys, keyed by accessKeyId/date/region/service. Each entry remembers
 * the secret it was derived from and is used for that secret only, so a rotated (or wrong) secret never
 * hits a key derived from another one (it replaces the entry). Keeping the secret beside its derived
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

  private entry(accessKeyId: string, secretAccessKey: string, date: string, region: string, service: string): Entry {
    const id = accessKeyId + '/' + date + '/' + region + '/' + service;
    const hit = this.entries.get(id);
    if (hit !== undefined && hit.secret === secretAccessKey) {
      // Refresh recency: Map iterates in insertion order, so the first key is the least recently used.
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit;
    }
    const key = deriveSigningKey(secretAccessKey, date, region, service);
    const fresh: Entry = { secret: secretAccessKey, key, hmac: new HmacSha256(key) };
    if (hit !== undefined) this.entries.delete(id);
    else if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(id, fresh);
    return fresh;
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
