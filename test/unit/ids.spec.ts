import { describe, it, expect } from 'vitest';
import {
  newAccessKeyId,
  newAccountId,
  newOpaqueToken,
  newSecretAccessKey,
  newUniqueId,
  sha256Hex,
  type UniqueIdPrefix,
} from '../../src/common/ids.js';

const N = 10_000;

function draws(fn: () => string): string[] {
  return Array.from({ length: N }, fn);
}

describe('ids', () => {
  it('newAccountId: 12 digits, first non-zero, unique, not sequential', () => {
    const ids = draws(newAccountId);
    for (const id of ids) expect(id).toMatch(/^[1-9]\d{11}$/);
    expect(new Set(ids).size).toBe(N);
    // every first digit 1-9 shows up, and 0 appears in later positions
    expect(new Set(ids.map((i) => i[0])).size).toBe(9);
    expect(ids.some((i) => i.slice(1).includes('0'))).toBe(true);
    const diffs = ids.slice(1).map((id, i) => Number(id) - Number(ids[i]));
    expect(diffs.filter((d) => Math.abs(d) === 1).length).toBeLessThan(2);
  });

  it('newUniqueId: prefix + 17 base32 chars', () => {
    const prefixes: UniqueIdPrefix[] = ['AIDA', 'AGPA', 'AROA', 'ANPA', 'ASCA', 'AIPA'];
    for (const p of prefixes) expect(newUniqueId(p)).toMatch(new RegExp(`^${p}[A-Z2-7]{17}$`));
    const ids = draws(() => newUniqueId('AIDA'));
    for (const id of ids) {
      expect(id).toHaveLength(21);
      expect(id).toMatch(/^AIDA[A-Z2-7]{17}$/);
    }
    expect(new Set(ids).size).toBe(N);
    // all 32 symbols are used
    expect(new Set(ids.map((i) => i.slice(4)).join('')).size).toBe(32);
    expect(() => newUniqueId('XXXX' as UniqueIdPrefix)).toThrow();
  });

  it('newAccessKeyId: AKIA/ASIA + 16 base32 chars', () => {
    const ids = draws(() => newAccessKeyId('AKIA'));
    for (const id of ids) expect(id).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(new Set(ids).size).toBe(N);
    expect(newAccessKeyId('ASIA')).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(() => newAccessKeyId('AKIB' as 'AKIA')).toThrow();
  });

  it('newSecretAccessKey: 40 chars of base64 alphabet', () => {
    const keys = draws(newSecretAccessKey);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(new Set(keys).size).toBe(N);
  });

  it('newOpaqueToken: prefix + base64url', () => {
    const toks = draws(() => newOpaqueToken('cbst_'));
    for (const t of toks) expect(t).toMatch(/^cbst_[A-Za-z0-9_-]{43}$/);
    expect(new Set(toks).size).toBe(N);
    expect(newOpaqueToken('r_', 16)).toMatch(/^r_[A-Za-z0-9_-]{22}$/);
    expect(newOpaqueToken('', 48)).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(() => newOpaqueToken('x', 8)).toThrow();
    expect(() => newOpaqueToken('x', 1.5)).toThrow();
  });

  it('sha256Hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(Buffer.from('abc'))).toBe(sha256Hex('abc'));
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
