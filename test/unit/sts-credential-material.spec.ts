import { describe, expect, it } from 'vitest';
import { newSessionCredentialMaterial } from '../../src/common/sts/credential-material.js';
import { ACCESS_KEY_ID_RE, SECRET_ACCESS_KEY_RE } from '../../src/common/ids.js';

describe('local-issuer credential material (pooled CSPRNG)', () => {
  it('has the formats of common/ids (ASIA key id, 40-character secret, cbst_ token of 48 bytes)', () => {
    for (let i = 0; i < 500; i++) {
      const m = newSessionCredentialMaterial();
      expect(m.accessKeyId).toMatch(ACCESS_KEY_ID_RE);
      expect(m.accessKeyId.startsWith('ASIA')).toBe(true);
      expect(m.secretAccessKey).toMatch(SECRET_ACCESS_KEY_RE);
      expect(m.sessionToken).toMatch(/^cbst_[A-Za-z0-9_-]{64}$/);
    }
  });

  it('never repeats a value across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const m = newSessionCredentialMaterial();
      for (const v of [m.accessKeyId, m.secretAccessKey, m.sessionToken]) {
        expect(seen.has(v)).toBe(false);
        seen.add(v);
      }
    }
  });

  it('key id characters are spread over the whole alphabet', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const c of newSessionCredentialMaterial().accessKeyId.slice(4)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 32,000 characters: about 1,000 each.
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
  });
});
