import { describe, it, expect } from 'vitest';
import {
  GROUP_NAME_RE,
  IAM_NAME_RE,
  IAM_PATH_RE,
  MFA_DEVICE_NAME_RE,
  POLICY_NAME_RE,
  aliasLooksLikeAccountId,
  isValidAccountAlias,
  isValidEmail,
  isValidIamPath,
} from '../../src/common/validation/iam-names.js';

describe('IAM_NAME_RE (users, roles)', () => {
  it('accepts the AWS character set up to 64 chars', () => {
    for (const ok of ['a', 'Alice', 'bob_smith', 'x+y=z,w.v@u-t', 'A'.repeat(64), '0', 'svc@example.com']) {
      expect(IAM_NAME_RE.test(ok)).toBe(true);
    }
  });
  it('rejects others', () => {
    for (const bad of ['', 'A'.repeat(65), 'has space', 'a/b', 'a:b', 'a*', 'é', 'a\n', 'a#b', 'a!']) {
      expect(IAM_NAME_RE.test(bad)).toBe(false);
    }
  });
});

describe('GROUP_NAME_RE / POLICY_NAME_RE', () => {
  it('allow 1-128 chars', () => {
    for (const re of [GROUP_NAME_RE, POLICY_NAME_RE]) {
      expect(re.test('g')).toBe(true);
      expect(re.test('Admins-Team_1.x@y+z=w,v')).toBe(true);
      expect(re.test('a'.repeat(128))).toBe(true);
      expect(re.test('a'.repeat(129))).toBe(false);
      expect(re.test('')).toBe(false);
      expect(re.test('a b')).toBe(false);
      expect(re.test('a/b')).toBe(false);
    }
  });
});

describe('MFA_DEVICE_NAME_RE', () => {
  it('allows 1-226 chars', () => {
    expect(MFA_DEVICE_NAME_RE.test('alice-phone')).toBe(true);
    expect(MFA_DEVICE_NAME_RE.test('a'.repeat(226))).toBe(true);
    expect(MFA_DEVICE_NAME_RE.test('a'.repeat(227))).toBe(false);
    expect(MFA_DEVICE_NAME_RE.test('')).toBe(false);
    expect(MFA_DEVICE_NAME_RE.test('my phone')).toBe(false);
  });
});

describe('IAM_PATH_RE', () => {
  it('matches the AWS pattern (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F), 1-512 chars', () => {
    for (const ok of ['/', '/division/', '/a/b/c/', '/division_abc/subdivision_xyz/', '///', '/~!@#$%^&*()/', `/${'a'.repeat(510)}/`, '/\x7F/']) {
      expect(IAM_PATH_RE.test(ok)).toBe(true);
      expect(isValidIamPath(ok)).toBe(true);
    }
    for (const bad of ['', '//', 'a', 'a/', '/a', '/a b/', '/é/', `/${'a'.repeat(511)}/`, '/\t/', '/a/\n']) {
      expect(IAM_PATH_RE.test(bad)).toBe(false);
    }
  });
});

describe('isValidAccountAlias', () => {
  it('length bounds: 3 and 63 ok, 2 and 64 not', () => {
    expect(isValidAccountAlias('abc')).toBe(true);
    expect(isValidAccountAlias('a'.repeat(63))).toBe(true);
    expect(isValidAccountAlias('ab')).toBe(false);
    expect(isValidAccountAlias('a'.repeat(64))).toBe(false);
    expect(isValidAccountAlias('')).toBe(false);
  });
  it('hyphen rules', () => {
    expect(isValidAccountAlias('my-company')).toBe(true);
    expect(isValidAccountAlias('a-b-c')).toBe(true);
    expect(isValidAccountAlias('a-b')).toBe(true);
    expect(isValidAccountAlias('-abc')).toBe(false);
    expect(isValidAccountAlias('abc-')).toBe(false);
    expect(isValidAccountAlias('my--company')).toBe(false);
    expect(isValidAccountAlias('---')).toBe(false);
  });
  it('charset', () => {
    expect(isValidAccountAlias('MyCompany')).toBe(false);
    expect(isValidAccountAlias('my_company')).toBe(false);
    expect(isValidAccountAlias('my.company')).toBe(false);
    expect(isValidAccountAlias('my company')).toBe(false);
    expect(isValidAccountAlias('example-corp2')).toBe(true);
  });
  it('all-digit aliases follow AWS (its published pattern allows them)', () => {
    expect(isValidAccountAlias('123')).toBe(true);
    expect(isValidAccountAlias('123456789012')).toBe(true);
    expect(aliasLooksLikeAccountId('123456789012')).toBe(true);
    expect(aliasLooksLikeAccountId('12345678901')).toBe(false);
    expect(aliasLooksLikeAccountId('a23456789012')).toBe(false);
  });
});

describe('isValidEmail', () => {
  it('accepts ordinary addresses', () => {
    for (const ok of ['a@b.co', 'alice.smith+tag@example.com', 'x@sub.example.org', "o'brien@example.ie"]) {
      expect(isValidEmail(ok)).toBe(true);
    }
  });
  it('rejects malformed ones', () => {
    for (const bad of [
      '',
      'plain',
      '@example.com',
      'a@',
      'a@localhost',
      'a@@example.com',
      'a@b@example.com',
      'a b@example.com',
      'a@exa mple.com',
      'a@example..com',
      'a@.example.com',
      'a@example.com.',
      'a@-example.com',
      'a@example.com\n',
      `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(250)}.com`,
    ]) {
      expect(isValidEmail(bad)).toBe(false);
    }
  });
});
