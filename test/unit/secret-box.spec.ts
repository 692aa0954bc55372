import { describe, it, expect } from 'vitest';
import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import {
  SecretBox,
  SecretBoxError,
  generateMasterKeySpec,
  parseMasterKey,
  type MasterKey,
} from '../../src/common/crypto/secret-box.js';

const k1: MasterKey = { id: 'k1', key: randomBytes(32) };
const k2: MasterKey = { id: 'k2', key: randomBytes(32) };

/** Flip one bit of a base64url part, keeping it canonical. */
function tamperPart(box: string, index: number): string {
  const parts = box.split('.');
  const buf = Buffer.from(parts[index]!, 'base64url');
  if (buf.length === 0) {
    parts[index] = Buffer.from([0]).toString('base64url');
  } else {
    buf[0] = buf[0]! ^ 0x01;
    parts[index] = buf.toString('base64url');
  }
  return parts.join('.');
}

function expectSecretBoxError(fn: () => unknown, mustNotContain: string[] = []): SecretBoxError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SecretBoxError);
    for (const s of mustNotContain) expect((e as Error).message).not.toContain(s);
    return e as SecretBoxError;
  }
  throw new Error('expected SecretBoxError');
}

describe('SecretBox', () => {
  it('round-trips strings and buffers', () => {
    const box = new SecretBox(k1);
    const sealed = box.encrypt('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(box.decryptString(sealed)).toBe('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');

    const bin = randomBytes(100);
    expect(box.decrypt(box.encrypt(bin)).equals(bin)).toBe(true);
    expect(box.decryptString(box.encrypt(''))).toBe('');
    expect(box.decryptString(box.encrypt('héllo ✓'))).toBe('héllo ✓');
  });

  it('uses a fresh IV per encryption', () => {
    const box = new SecretBox(k1);
    const a = box.encrypt('same');
    const b = box.encrypt('same');
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('binds the aad', () => {
    const box = new SecretBox(k1);
    const sealed = box.encrypt('s3cr3t-plaintext', 'AKIAAAAAAAAAAAAAAAAA');
    expect(box.decryptString(sealed, 'AKIAAAAAAAAAAAAAAAAA')).toBe('s3cr3t-plaintext');
    expectSecretBoxError(() => box.decrypt(sealed, 'AKIABBBBBBBBBBBBBBBB'), ['s3cr3t-plaintext']);
    expectSecretBoxError(() => box.decrypt(sealed));
    const noAad = box.encrypt('s3cr3t-plaintext');
    expectSecretBoxError(() => box.decrypt(noAad, 'x'));
    expect(box.decryptString(noAad, '')).toBe('s3cr3t-plaintext');
  });

  it('detects tampering of each part', () => {
    const box = new SecretBox(k1);
    const sealed = box.encrypt('top secret value', 'row-1');
    for (const i of [2, 3, 4]) {
      expectSecretBoxError(() => box.decrypt(tamperPart(sealed, i), 'row-1'), ['top secret']);
    }
    const parts = sealed.split('.');
    // version
    expectSecretBoxError(() => box.decrypt(['v2', ...parts.slice(1)].join('.'), 'row-1'));
    // key id swapped to another known key
    const both = new SecretBox(k1, [k2]);
    expectSecretBoxError(() => both.decrypt(['v1', 'k2', ...parts.slice(2)].join('.'), 'row-1'));
    // truncated ciphertext / tag, extra or missing parts
    expectSecretBoxError(() => box.decrypt([...parts.slice(0, 3), parts[3]!.slice(0, -2), parts[4]].join('.'), 'row-1'));
    expectSecretBoxError(() => box.decrypt([...parts.slice(0, 4), parts[4]!.slice(0, -1)].join('.'), 'row-1'));
    expectSecretBoxError(() => box.decrypt(parts.slice(0, 4).join('.'), 'row-1'));
    expectSecretBoxError(() => box.decrypt(`${sealed}.x`, 'row-1'));
    // non-canonical base64url in the tag (unused low bits changed) is rejected, not silently accepted
    const tag = parts[4]!;
    const last = tag[tag.length - 1]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const alt = alphabet[alphabet.indexOf(last) ^ 1]!;
    expectSecretBoxError(() => box.decrypt([...parts.slice(0, 4), tag.slice(0, -1) + alt].join('.'), 'row-1'));
    // invalid characters
    expectSecretBoxError(() => box.decrypt([...parts.slice(0, 3), `${parts[3]}!`, parts[4]].join('.'), 'row-1'));
    expectSecretBoxError(() => box.decrypt('garbage'));
    expectSecretBoxError(() => box.decrypt(''));
  });

  it('refuses an unknown key id without leaking anything', () => {
    const sealed = new SecretBox(k2).encrypt('hunter2');
    const err = expectSecretBoxError(() => new SecretBox(k1).decrypt(sealed), ['hunter2', k1.key.toString('base64')]);
    expect(err.message).toContain('k2');
  });

  it('supports rotation', () => {
    const old = new SecretBox(k1);
    const sealedOld = old.encrypt('rotate me', 'aad');
    const rotated = new SecretBox(k2, [k1]);
    expect(rotated.keyIdOf(sealedOld)).toBe('k1');
    expect(rotated.needsReencrypt(sealedOld)).toBe(true);
    expect(rotated.decryptString(sealedOld, 'aad')).toBe('rotate me');

    const sealedNew = rotated.encrypt(rotated.decrypt(sealedOld, 'aad'), 'aad');
    expect(rotated.keyIdOf(sealedNew)).toBe('k2');
    expect(rotated.needsReencrypt(sealedNew)).toBe(false);
    expect(rotated.primaryKeyId).toBe('k2');
    // the old-only box cannot read new ciphertexts
    expectSecretBoxError(() => old.decrypt(sealedNew, 'aad'));
    expectSecretBoxError(() => rotated.keyIdOf('nope'));
  });

  it('validates keys at construction', () => {
    expect(() => new SecretBox({ id: 'k1', key: randomBytes(16) })).toThrow();
    expect(() => new SecretBox({ id: 'bad.id', key: randomBytes(32) })).toThrow();
    expect(() => new SecretBox(k1, [{ id: 'k1', key: randomBytes(32) }])).toThrow();
    expect(() => new SecretBox(k1, [{ id: 'k1', key: Buffer.from(k1.key) }])).not.toThrow();
  });

  it('does not expose key material through inspect/JSON', () => {
    const box = new SecretBox(k1);
    const hex = k1.key.toString('hex');
    const b64 = k1.key.toString('base64');
    const dump = inspect(box, { depth: 10 }) + JSON.stringify(box);
    expect(dump).not.toContain(hex);
    expect(dump).not.toContain(b64);
  });
});

describe('parseMasterKey / generateMasterKeySpec', () => {
  it('parses base64 and base64url, padded or not', () => {
    const key = randomBytes(32);
    for (const enc of [
      key.toString('base64'),
      key.toString('base64').replace(/=+$/, ''),
      key.toString('base64url'),
    ]) {
      const mk = parseMasterKey(`main-2024_01:${enc}`);
      expect(mk.id).toBe('main-2024_01');
      expect(mk.key.equals(key)).toBe(true);
    }
    expect(parseMasterKey(` k1:${key.toString('base64')}\n`).key.equals(key)).toBe(true);
  });

  it('rejects bad specs without echoing the key', () => {
    const key = randomBytes(32).toString('base64');
    const short = randomBytes(16).toString('base64');
    const long = randomBytes(33).toString('base64');
    const cases = [
      key, // no id
      `:${key}`,
      `bad.id:${key}`,
      `${'a'.repeat(33)}:${key}`,
      `k1:${short}`,
      `k1:${long}`,
      `k1:${key.slice(0, 10)}*${key.slice(11)}`,
      'k1:',
      '',
    ];
    for (const spec of cases) {
      let msg = '';
      expect(() => {
        try {
          parseMasterKey(spec);
        } catch (e) {
          msg = (e as Error).message;
          throw e;
        }
      }).toThrow(/master key spec/);
      for (const secret of [key, short, long, key.slice(0, 12), short.slice(0, 12)]) {
        expect(msg).not.toContain(secret);
      }
    }
  });

  it('generates parseable specs', () => {
    const spec = generateMasterKeySpec();
    const mk = parseMasterKey(spec);
    expect(mk.id).toMatch(/^k\d{8}-[0-9a-f]{6}$/);
    expect(mk.key.length).toBe(32);
    const named = parseMasterKey(generateMasterKeySpec('prod-2'));
    expect(named.id).toBe('prod-2');
    expect(named.key.equals(mk.key)).toBe(false);
    expect(() => generateMasterKeySpec('no spaces')).toThrow();
    const box = new SecretBox(mk);
    expect(box.decryptString(box.encrypt('x'))).toBe('x');
  });
});
