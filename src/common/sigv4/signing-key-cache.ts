import { createHmac, hash } from 'node:crypto';
import { SCOPE_TERMINATOR } from './types.js';

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', 'AWS4' + secretAccessKey).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update(SCOPE_TERMINATOR).digest();
}

/**
 * Bounded LRU of derived signing keys. The cache key is accessKeyId/date/region/service plus a SHA-256
 * of the secret, so a rotated (or wrong) secret never hits a key derived from another one, and no
 * secret is kept as a map key. The values are signing keys: secret-equivalent for their day, region and
 * service, and never leave this object except to sign.
 *
 * None of accessKeyId / date / region / service can contain '/' (parse.ts validates them), so the
 * '/'-joined key is unambiguous.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, Buffer>();

  constructor(readonly maxEntries = 1024) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get(accessKeyId: string, secretAccessKey: string, date: string, region: string, service: string): Buffer {
    const key =
      accessKeyId + '/' + date + '/' + region + '/' + service + '/' + hash('sha256', secretAccessKey, 'base64');
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Refresh recency: Map iterates in insertion order, so the first key is the least recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const derived = deriveSigningKey(secretAccessKey, date, region, service);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, derived);
    return derived;
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
