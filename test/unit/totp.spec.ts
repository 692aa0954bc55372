import { describe, it, expect } from 'vitest';
import {
  generateTotpSecret,
  hotp,
  otpauthUri,
  totp,
  totpStep,
  verifyConsecutiveTotp,
  verifyTotp,
} from '../../src/common/crypto/totp.js';
import { base32Decode } from '../../src/common/crypto/base32.js';

const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('hotp (RFC 4226 Appendix D)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  it.each(expected.map((code, counter) => [counter, code] as const))('counter %i -> %s', (counter, code) => {
    expect(hotp(RFC_SECRET, counter)).toBe(code);
    expect(hotp(RFC_SECRET, BigInt(counter))).toBe(code);
  });

  it('rejects bad counters and digit counts', () => {
    expect(() => hotp(RFC_SECRET, -1)).toThrow();
    expect(() => hotp(RFC_SECRET, 1.5)).toThrow();
    expect(() => hotp(RFC_SECRET, 1n << 64n)).toThrow();
    expect(() => hotp(RFC_SECRET, 0, 5)).toThrow();
    expect(() => hotp(Buffer.alloc(0), 0)).toThrow();
  });
});

describe('totp (RFC 6238 Appendix B)', () => {
  const seeds = {
    sha1: Buffer.from('12345678901234567890', 'ascii'),
    sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
    sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
  } as const;
  const vectors: Array<[number, string, string, string]> = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(vectors)('t=%i', (t, c1, c256, c512) => {
    const ms = t * 1000;
    expect(totp(seeds.sha1, ms, { digits: 8 })).toBe(c1);
    expect(totp(seeds.sha256, ms, { digits: 8, algorithm: 'sha256' })).toBe(c256);
    expect(totp(seeds.sha512, ms, { digits: 8, algorithm: 'sha512' })).toBe(c512);
    expect(totp(seeds.sha1, new Date(ms), { digits: 8 })).toBe(c1);
    expect(verifyTotp(seeds.sha512, c512, ms, { digits: 8, algorithm: 'sha512', window: 0 })).toBe(totpStep(ms));
  });

  it('totpStep', () => {
    expect(totpStep(59_000)).toBe(1);
    expect(totpStep(new Date(1111111109_000))).toBe(0x23523ec);
    expect(totpStep(60_000, 60)).toBe(1);
    expect(totpStep(0)).toBe(0);
  });

  it('defaults to 6 digits SHA-1', () => {
    expect(totp(RFC_SECRET, 59_000)).toBe('287082'); // step 1 == HOTP counter 1
  });
});

describe('verifyTotp', () => {
  const secret = Buffer.from('0123456789abcdef0123', 'ascii');
  const now = 1_700_000_015_000; // mid-step
  const step = totpStep(now);
  const codeAt = (s: number) => hotp(secret, s);

  it('accepts the current step', () => {
    expect(verifyTotp(secret, codeAt(step), now)).toBe(step);
  });

  it('accepts ±1 step of skew and refuses ±2', () => {
    expect(verifyTotp(secret, codeAt(step - 1), now)).toBe(step - 1);
    expect(verifyTotp(secret, codeAt(step + 1), now)).toBe(step + 1);
    expect(verifyTotp(secret, codeAt(step - 2), now)).toBeNull();
    expect(verifyTotp(secret, codeAt(step + 2), now)).toBeNull();
    expect(verifyTotp(secret, codeAt(step + 2), now, { window: 2 })).toBe(step + 2);
    expect(verifyTotp(secret, codeAt(step + 1), now, { window: 0 })).toBeNull();
  });

  it('refuses replays via afterStep', () => {
    const used = verifyTotp(secret, codeAt(step), now);
    expect(used).toBe(step);
    expect(verifyTotp(secret, codeAt(step), now, { afterStep: used })).toBeNull();
    // an older code within the window is also refused once a later step was used
    expect(verifyTotp(secret, codeAt(step - 1), now, { afterStep: used })).toBeNull();
    // the next step is accepted
    expect(verifyTotp(secret, codeAt(step + 1), now, { afterStep: used })).toBe(step + 1);
    expect(verifyTotp(secret, codeAt(step), now, { afterStep: null })).toBe(step);
  });

  it('refuses malformed codes', () => {
    const good = codeAt(step);
    for (const bad of [
      '',
      good.slice(0, 5),
      good + '0',
      ` ${good.slice(1)}`,
      `${good.slice(0, 5)}a`,
      `+${good.slice(1)}`,
      '１２３４５６', // full-width digits
      '12345.',
      good.replace(/^./, '٣'), // Arabic-Indic digit
    ]) {
      expect(verifyTotp(secret, bad, now)).toBeNull();
    }
    expect(verifyTotp(secret, undefined as unknown as string, now)).toBeNull();
  });

  it('refuses wrong codes', () => {
    const wrong = ((Number(codeAt(step)) + 1) % 1_000_000).toString().padStart(6, '0');
    const windowCodes = [codeAt(step - 1), codeAt(step), codeAt(step + 1)];
    if (!windowCodes.includes(wrong)) expect(verifyTotp(secret, wrong, now)).toBeNull();
  });

  it('works with a Date', () => {
    expect(verifyTotp(secret, codeAt(step), new Date(now))).toBe(step);
  });

  it('rejects absurd windows', () => {
    expect(() => verifyTotp(secret, codeAt(step), now, { window: 1000 })).toThrow(RangeError);
    expect(() => verifyTotp(secret, codeAt(step), now, { window: -1 })).toThrow(RangeError);
  });
});

describe('verifyConsecutiveTotp', () => {
  const secret = generateTotpSecret();
  const now = 1_700_000_000_000;
  const step = totpStep(now);
  const c = (s: number) => hotp(secret, s);

  it('returns the step of code2 for two consecutive codes', () => {
    expect(verifyConsecutiveTotp(secret, c(step - 1), c(step), now)).toBe(step);
    expect(verifyConsecutiveTotp(secret, c(step), c(step + 1), now)).toBe(step + 1);
  });

  it('allows delayed entry within ±10 steps by default', () => {
    expect(verifyConsecutiveTotp(secret, c(step - 10), c(step - 9), now)).toBe(step - 9);
    expect(verifyConsecutiveTotp(secret, c(step + 9), c(step + 10), now)).toBe(step + 10);
    expect(verifyConsecutiveTotp(secret, c(step - 11), c(step - 10), now)).toBeNull();
    expect(verifyConsecutiveTotp(secret, c(step + 10), c(step + 11), now)).toBeNull();
    expect(verifyConsecutiveTotp(secret, c(step - 3), c(step - 2), now, { window: 1 })).toBeNull();
  });

  it('refuses non-consecutive, swapped or repeated codes', () => {
    expect(verifyConsecutiveTotp(secret, c(step), c(step + 2), now)).toBeNull();
    expect(verifyConsecutiveTotp(secret, c(step + 1), c(step), now)).toBeNull();
    if (c(step) !== c(step + 1)) expect(verifyConsecutiveTotp(secret, c(step), c(step), now)).toBeNull();
    expect(verifyConsecutiveTotp(secret, 'abcdef', c(step), now)).toBeNull();
  });

  it('honours afterStep on the first code', () => {
    expect(verifyConsecutiveTotp(secret, c(step), c(step + 1), now, { afterStep: step })).toBeNull();
    expect(verifyConsecutiveTotp(secret, c(step), c(step + 1), now, { afterStep: step - 1 })).toBe(step + 1);
  });
});

describe('generateTotpSecret / otpauthUri', () => {
  it('generates 20 random bytes', () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a.length).toBe(20);
    expect(a.equals(b)).toBe(false);
  });

  it('builds a key URI', () => {
    const secret = Buffer.from('12345678901234567890', 'ascii');
    expect(otpauthUri({ secret, issuer: 'Credbroker', accountName: 'alice' })).toBe(
      'otpauth://totp/Credbroker:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Credbroker&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('URI-encodes issuer and account name', () => {
    const secret = generateTotpSecret();
    const uri = otpauthUri({ secret, issuer: 'Acme Corp: Prod', accountName: 'bob@123456789012&x=y' });
    expect(uri.startsWith('otpauth://totp/Acme%20Corp%3A%20Prod:bob%40123456789012%26x%3Dy?secret=')).toBe(true);
    const url = new URL(uri);
    expect(url.searchParams.get('issuer')).toBe('Acme Corp: Prod');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
    const s = url.searchParams.get('secret')!;
    expect(s).toMatch(/^[A-Z2-7]+$/);
    expect(base32Decode(s).equals(secret)).toBe(true);
  });
});
