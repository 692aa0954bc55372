/**
 * Identifier and secret generation. All randomness comes from node:crypto (CSPRNG); no sequences.
 */
import { hash, randomBytes, randomFillSync, randomInt } from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export type UniqueIdPrefix = 'AIDA' | 'AGPA' | 'AROA' | 'ANPA' | 'ASCA' | 'AIPA';
export type AccessKeyIdPrefix = 'AKIA' | 'ASIA';

const UNIQUE_ID_PREFIXES: ReadonlySet<string> = new Set(['AIDA', 'AGPA', 'AROA', 'ANPA', 'ASCA', 'AIPA']);
const ACCESS_KEY_PREFIXES: ReadonlySet<string> = new Set(['AKIA', 'ASIA']);

export const ACCOUNT_ID_RE = /^[1-9][0-9]{11}$/;
export const UNIQUE_ID_RE = /^(AIDA|AGPA|AROA|ANPA|ASCA|AIPA)[A-Z2-7]{17}$/;
export const ACCESS_KEY_ID_RE = /^(AKIA|ASIA)[A-Z2-7]{16}$/;
export const SECRET_ACCESS_KEY_RE = /^[A-Za-z0-9+/]{40}$/;

const POOL = Buffer.alloc(8192);
let poolAt = POOL.length;

/**
 * n CSPRNG bytes, drawn from a pooled buffer refilled with one randomFillSync: a randomBytes call costs
 * several microseconds here, and STS issuance draws three values per credential. Each pooled byte is
 * handed out once (a copy) and zeroed in the pool.
 */
export function randomBytesPooled(n: number): Buffer {
  if (n > 256) return randomBytes(n);
  if (poolAt + n > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const out = Buffer.from(POOL.subarray(poolAt, poolAt + n));
  POOL.fill(0, poolAt, poolAt + n);
  poolAt += n;
  return out;
}

/** n characters uniformly from A-Z2-7 (32 divides 256, so `byte & 31` is unbiased). */
function randomBase32(n: number): string {
  const bytes = randomBytesPooled(n);
  let out = '';
  for (let i = 0; i < n; i++) out += B32[bytes[i]! & 31];
  return out;
}

/** 12 decimal digits, first digit non-zero, uniform over [100000000000, 999999999999]. */
export function newAccountId(): string {
  return String(randomInt(100_000_000_000, 1_000_000_000_000));
}

/** prefix + 17 chars of [A-Z2-7] (21 chars, 85 random bits), e.g. AIDAJQABLZS4A3QDU576Q. */
export function newUniqueId(prefix: UniqueIdPrefix): string {
  if (!UNIQUE_ID_PREFIXES.has(prefix)) throw new RangeError('invalid unique id prefix');
  return prefix + randomBase32(17);
}

/** prefix + 16 chars of [A-Z2-7] (20 chars, 80 random bits). AKIA = long-term, ASIA = temporary. */
export function newAccessKeyId(prefix: AccessKeyIdPrefix): string {
  if (!ACCESS_KEY_PREFIXES.has(prefix)) throw new RangeError('invalid access key id prefix');
  return prefix + randomBase32(16);
}

/** 40 chars of [A-Za-z0-9+/]: base64 of 30 random bytes (240 bits, no padding since 30 % 3 === 0). */
export function newSecretAccessKey(): string {
  return randomBytesPooled(30).toString('base64');
}

/**
 * prefix + base64url(random bytes) (no padding). Default 32 bytes (256 bits); at least 16 bytes required.
 * For session tokens, reset tokens, operator tokens. Store only sha256Hex(token) server-side.
 */
export function newOpaqueToken(prefix: string, bytes: number = 32): string {
  if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) {
    throw new RangeError('bytes must be an integer between 16 and 1024');
  }
  return prefix + randomBytesPooled(bytes).toString('base64url');
}

/** Lower-case hex SHA-256 (strings hashed as UTF-8). */
export function sha256Hex(s: string | Buffer): string {
  // One-shot (no Hash object per call): this runs for every issued session token and every token lookup.
  return hash('sha256', s, 'hex');
}
