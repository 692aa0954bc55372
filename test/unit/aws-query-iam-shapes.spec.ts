import { describe, expect, it } from 'vitest';
import type { AuthContext } from '../../src/common/auth/auth-context.js';
import { QueryParamError, QueryParams } from '../../src/common/aws-query/query-params.js';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { base32SeedBlob } from '../../src/modules/aws-query/iam/mfa.actions.js';
import { passwordPolicyShape } from '../../src/modules/aws-query/iam/account.actions.js';
import { accessKeyIdParam } from '../../src/modules/aws-query/iam/access-keys.actions.js';
import { decodeMarker, encodeMarker, pageMembers, pageParams, paginate, tagList, tagsParam, userShape, userTarget } from '../../src/modules/aws-query/iam/iam-shapes.js';
import { DEFAULT_PASSWORD_POLICY } from '../../src/modules/passwords/password-rules.js';

const P = (o: Record<string, string | undefined>) => QueryParams.from(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined));
const ACCT = '123456789012';
const auth = (kind: AuthContext['principal']['kind'], name: string): AuthContext => ({
  method: 'sigv4',
  accountId: ACCT,
  principal: { kind, id: 'id', arn: kind === 'Root' ? `arn:aws:iam::${ACCT}:root` : `arn:aws:iam::${ACCT}:user/${name}`, name, userId: 'AIDAX' },
  mfa: { present: false },
  tags: {},
});

describe('IAM Query shapes', () => {
  it('pageParams: MaxItems 1..1000 (default 100), Marker 1..320 characters, AWS messages', () => {
    expect(pageParams(P({}))).toEqual({ marker: undefined, maxItems: 100 });
    expect(pageParams(P({ MaxItems: '7', Marker: 'abc' }))).toEqual({ marker: 'abc', maxItems: 7 });
    for (const bad of [{ MaxItems: '0' }, { MaxItems: '1001' }, { MaxItems: 'x' }, { Marker: '' }, { Marker: 'x'.repeat(321) }, { Marker: 'a\u0100' }]) {
      const e = (() => {
        try {
          pageParams(P(bad));
        } catch (err) {
          return err;
        }
      })();
      expect(e, JSON.stringify(bad)).toBeInstanceOf(QueryParamError);
      expect((e as QueryParamError).code).toBe('ValidationError');
    }
    expect(() => pageParams(P({ MaxItems: '0' }))).toThrow("1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
  });

  it('paginate: pages by key, markers are opaque and survive removals', () => {
    const items = ['d', 'a', 'c', 'b', 'e'];
    const p1 = paginate(items, (x) => x, { maxItems: 2 });
    expect(p1.items).toEqual(['a', 'b']);
    expect(p1.marker).toBe(encodeMarker('b'));
    const p2 = paginate(items.filter((x) => x !== 'b'), (x) => x, { maxItems: 2, marker: p1.marker });
    expect(p2.items).toEqual(['c', 'd']);
    const p3 = paginate(items, (x) => x, { maxItems: 2, marker: p2.marker });
    expect(p3).toEqual({ items: ['e'] });
    expect(paginate([], (x: string) => x, { maxItems: 5 })).toEqual({ items: [] });
    expect(decodeMarker(encodeMarker('2026-01-01T00:00:00.000Z|AKIA'))).toBe('2026-01-01T00:00:00.000Z|AKIA');
    expect(() => decodeMarker('not a marker!')).toThrow(QueryParamError);
    expect(pageMembers(undefined)).toEqual({ IsTruncated: false });
    expect(pageMembers('m')).toEqual({ IsTruncated: true, Marker: 'm' });
  });

  it('tags: Tags.member.N.Key/Value ↔ records and {Key, Value} members', () => {
    expect(tagsParam(P({}))).toBeUndefined();
    expect(tagsParam(P({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'core', 'Tags.member.2.Key': 'env', 'Tags.member.2.Value': '' }))).toEqual({ team: 'core', env: '' });
    expect(() => tagsParam(P({ 'Tags.member.1.Value': 'v' }))).toThrow(QueryParamError);
    expect(() => tagsParam(P({ 'Tags.member.1.Key': 'k', 'Tags.member.1.Value': 'a', 'Tags.member.2.Key': 'k', 'Tags.member.2.Value': 'b' }))).toThrow(/Duplicate tag keys/);
    expect(tagList([{ key: 'a', value: '1' }])).toEqual([{ Key: 'a', Value: '1' }]);
    expect(tagList({ b: '2' })).toEqual([{ Key: 'b', Value: '2' }]);
    expect(tagList(undefined)).toEqual([]);
  });

  it('userShape: AWS members and Dates; root has no UserName or Path; tags only when asked', () => {
    const u = { userName: 'alice', userId: 'AIDA1', arn: `arn:aws:iam::${ACCT}:user/eng/alice`, path: '/eng/', createDate: '2026-01-02T03:04:05.000Z', passwordLastUsed: null, tags: [{ key: 'k', value: 'v' }] };
    expect(userShape(u)).toEqual({ Path: '/eng/', UserName: 'alice', UserId: 'AIDA1', Arn: u.arn, CreateDate: new Date(u.createDate), PasswordLastUsed: undefined });
    expect(userShape(u, { tags: true }).Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    const root = userShape({ userName: 'root', userId: ACCT, arn: `arn:aws:iam::${ACCT}:root`, path: '/', createDate: '2026-01-02T03:04:05.000Z' });
    expect(root).not.toHaveProperty('UserName');
    expect(root).not.toHaveProperty('Path');
    expect(root.Arn).toBe(`arn:aws:iam::${ACCT}:root`);
  });

  it('userTarget: UserName, else the caller (IAM user or root); role sessions must name a user', () => {
    expect(userTarget(auth('IAMUser', 'bob'), P({ UserName: 'alice' }))).toEqual({ accountId: ACCT, userName: 'alice' });
    expect(userTarget(auth('IAMUser', 'bob'), P({}))).toEqual({ accountId: ACCT, userName: 'bob' });
    expect(userTarget(auth('Root', 'root'), P({}))).toEqual({ accountId: ACCT, userName: null });
    expect(() => userTarget(auth('Root', 'root'), P({}), { rootAllowed: false })).toThrow(DomainError);
    expect(() => userTarget(auth('AssumedRole', 's'), P({}))).toThrow('Must specify userName when calling with non-User credentials');
    expect(() => userTarget(auth('IAMUser', 'bob'), P({ UserName: 'a b' }))).toThrow(QueryParamError);
  });

  it('access key ids, the MFA seed blob, the password policy element', () => {
    expect(accessKeyIdParam(P({ AccessKeyId: 'AKIAABCDEFGHIJKLMNOP' }))).toBe('AKIAABCDEFGHIJKLMNOP');
    for (const bad of [{}, { AccessKeyId: 'short' }, { AccessKeyId: 'AKIA-ABCDEFGHIJKLMNOP' }]) expect(() => accessKeyIdParam(P(bad))).toThrow(QueryParamError);
    expect(Buffer.from(base32SeedBlob('JBSWY3DPEHPK3PXP'), 'base64').toString('ascii')).toBe('JBSWY3DPEHPK3PXP');
    expect(passwordPolicyShape(DEFAULT_PASSWORD_POLICY)).toEqual({
      MinimumPasswordLength: 8,
      RequireSymbols: false,
      RequireNumbers: false,
      RequireUppercaseCharacters: false,
      RequireLowercaseCharacters: false,
      AllowUsersToChangePassword: false,
      ExpirePasswords: false,
      MaxPasswordAge: undefined,
      PasswordReusePrevention: undefined,
      HardExpiry: false,
    });
    expect(passwordPolicyShape({ ...DEFAULT_PASSWORD_POLICY, maxPasswordAge: 90, passwordReusePrevention: 5 })).toMatchObject({ ExpirePasswords: true, MaxPasswordAge: 90, PasswordReusePrevention: 5 });
  });
});
