import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { base32Decode, base32Encode } from '../../src/common/crypto/base32.js';

const RFC4648: Array<[string, string]> = [
  ['', ''],
  ['f', 'MY======'],
  ['fo', 'MZXQ===='],
  ['foo', 'MZXW6==='],
  ['foob', 'MZXW6YQ='],
  ['fooba', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI======'],
];

describe('base32', () => {
  it.each(RFC4648)('encodes RFC 4648 vector %j', (plain, enc) => {
    expect(base32Encode(Buffer.from(plain))).toBe(enc);
  });

  it.each(RFC4648)('decodes RFC 4648 vector %j', (plain, enc) => {
    expect(base32Decode(enc).toString()).toBe(plain);
  });

  it('omits padding when asked', () => {
    expect(base32Encode(Buffer.from('foobar'), { padding: false })).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('fooba'), { padding: false })).toBe('MZXW6YTB');
  });

  it('decodes case-insensitively, without padding, and with spaces', () => {
    expect(base32Decode('mzxw6ytboi').toString()).toBe('foobar');
    expect(base32Decode('MZXW 6YTB OI').toString()).toBe('foobar');
    expect(base32Decode(' mzxw6ytb oi====== ').toString()).toBe('foobar');
  });

  it('round-trips random data', () => {
    for (let n = 0; n < 64; n++) {
      const b = randomBytes(n);
      expect(base32Decode(base32Encode(b)).equals(b)).toBe(true);
      expect(base32Decode(base32Encode(b, { padding: false })).equals(b)).toBe(true);
    }
  });

  it('rejects invalid characters', () => {
    for (const bad of ['MZXW6YT1', 'MZXW6YT0', 'MZXW8YTB', 'MZXW-YTB', 'MZXWÉYTB', 'MZ!W6YTB']) {
      expect(() => base32Decode(bad)).toThrow();
    }
  });

  it('rejects padding in the middle and impossible lengths', () => {
    expect(() => base32Decode('MY==MZXW')).toThrow();
    expect(() => base32Decode('M')).toThrow();
    expect(() => base32Decode('MZX')).toThrow();
    expect(() => base32Decode('MZXW6Y')).toThrow();
  });

  it('does not echo the input in errors', () => {
    try {
      base32Decode('SECRETSECRET1');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('SECRET');
    }
  });
});
