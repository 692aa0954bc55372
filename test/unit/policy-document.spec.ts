import { describe, it, expect } from 'vitest';
import {
  PolicyValidationError,
  cidrContains,
  parseCidr,
  parseConditionOperator,
  parseDateValue,
  parseIpAddress,
  parseNumberValue,
  parsePolicyDocument,
  policyDocumentSize,
} from '../../src/common/policy/policy-document.js';

const ACCT = '111122223333';

function stmt(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Effect: 'Allow', Action: 'iam:GetUser', Resource: '*', ...extra };
}

function doc(statement: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Version: '2012-10-17', Statement: statement, ...extra };
}

/** Expects a PolicyValidationError whose message matches `re`. */
function rejects(input: unknown, re: RegExp, opts?: Parameters<typeof parsePolicyDocument>[1]): void {
  let error: unknown;
  try {
    parsePolicyDocument(input, opts);
  } catch (e) {
    error = e;
  }
  expect(error, `expected rejection matching ${re}`).toBeInstanceOf(PolicyValidationError);
  expect((error as Error).name).toBe('PolicyValidationError');
  expect((error as Error).message).toMatch(re);
}

describe('parsePolicyDocument: normalisation', () => {
  it('accepts a JSON string and normalises single values to arrays', () => {
    const d = parsePolicyDocument(
      JSON.stringify({
        Version: '2012-10-17',
        Id: 'p1',
        Statement: { Sid: 'One', Effect: 'Allow', Action: 'iam:GetUser', Resource: `arn:aws:iam::${ACCT}:user/alice` },
      }),
    );
    expect(d).toEqual({
      Version: '2012-10-17',
      Id: 'p1',
      Statement: [{ Sid: 'One', Effect: 'Allow', Action: ['iam:GetUser'], Resource: [`arn:aws:iam::${ACCT}:user/alice`] }],
    });
  });

  it('accepts an already-parsed object and statement arrays', () => {
    const d = parsePolicyDocument(
      doc([
        { Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: ['*'] },
        { Effect: 'Deny', NotAction: 'iam:ChangePassword', NotResource: `arn:aws:iam::${ACCT}:user/x` },
      ]),
    );
    expect(d.Statement).toHaveLength(2);
    expect(d.Statement[0]!.Action).toEqual(['iam:Get*', 'iam:List*']);
    expect(d.Statement[1]!.NotAction).toEqual(['iam:ChangePassword']);
    expect(d.Statement[1]!.NotResource).toEqual([`arn:aws:iam::${ACCT}:user/x`]);
    expect(d.Statement[1]!.Action).toBeUndefined();
  });

  it('defaults a missing Version to 2008-10-17 and accepts both versions', () => {
    expect(parsePolicyDocument({ Statement: stmt() }).Version).toBe('2008-10-17');
    expect(parsePolicyDocument({ Version: '2008-10-17', Statement: stmt() }).Version).toBe('2008-10-17');
    expect(parsePolicyDocument({ Version: '2012-10-17', Statement: stmt() }).Version).toBe('2012-10-17');
  });

  it('normalises condition values to string arrays', () => {
    const d = parsePolicyDocument(
      doc(
        stmt({
          Condition: {
            Bool: { 'aws:MultiFactorAuthPresent': true, 'aws:SecureTransport': 'TRUE' },
            NumericLessThan: { 'aws:MultiFactorAuthAge': 3600 },
            StringEquals: { 'aws:username': ['alice', 'bob'] },
            'ForAnyValue:StringLike': { 'aws:TagKeys': 'app-*' },
          },
        }),
      ),
    );
    const c = d.Statement[0]!.Condition!;
    expect(c['Bool']!['aws:MultiFactorAuthPresent']).toEqual(['true']);
    expect(c['Bool']!['aws:SecureTransport']).toEqual(['true']);
    expect(c['NumericLessThan']!['aws:MultiFactorAuthAge']).toEqual(['3600']);
    expect(c['StringEquals']!['aws:username']).toEqual(['alice', 'bob']);
    expect(c['ForAnyValue:StringLike']!['aws:TagKeys']).toEqual(['app-*']);
  });

  it('keeps a condition key named __proto__ as a plain key', () => {
    const d = parsePolicyDocument('{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"__proto__":"x"}}}}');
    const block = d.Statement[0]!.Condition!['StringEquals']!;
    expect(Object.keys(block)).toEqual(['__proto__']);
    expect(block['__proto__']).toEqual(['x']);
  });

  it('returns a deeply frozen document', () => {
    const d = parsePolicyDocument(doc(stmt({ Condition: { StringEquals: { k: 'v' } } })));
    expect(Object.isFrozen(d)).toBe(true);
    expect(Object.isFrozen(d.Statement)).toBe(true);
    expect(Object.isFrozen(d.Statement[0])).toBe(true);
    expect(Object.isFrozen(d.Statement[0]!.Action)).toBe(true);
    expect(Object.isFrozen(d.Statement[0]!.Condition!['StringEquals'])).toBe(true);
  });

  it('does not alias the input', () => {
    const input = doc(stmt({ Action: ['iam:GetUser'] }));
    const d = parsePolicyDocument(input);
    ((input.Statement as Record<string, unknown>).Action as string[]).push('iam:DeleteUser');
    expect(d.Statement[0]!.Action).toEqual(['iam:GetUser']);
  });

  it('accepts a leading BOM, whitespace and a wildcard action', () => {
    const d = parsePolicyDocument('\uFEFF  \n' + JSON.stringify(doc(stmt({ Action: '*' }))) + '\n');
    expect(d.Statement[0]!.Action).toEqual(['*']);
  });

  it('accepts all supported condition operators with qualifiers and IfExists', () => {
    const ops: Array<[string, unknown]> = [
      ['StringEquals', 'a'],
      ['StringNotEquals', 'a'],
      ['StringEqualsIgnoreCase', 'a'],
      ['StringNotEqualsIgnoreCase', 'a'],
      ['StringLike', 'a*'],
      ['StringNotLike', 'a?'],
      ['ArnEquals', 'arn:aws:iam::*:user/a'],
      ['ArnNotEquals', 'arn:aws:iam::*:user/a'],
      ['ArnLike', 'arn:aws:iam::*:user/*'],
      ['ArnNotLike', 'arn:aws:iam::*:user/*'],
      ['Bool', 'false'],
      ['NumericEquals', '1'],
      ['NumericNotEquals', -1.5],
      ['NumericLessThan', '1e3'],
      ['NumericLessThanEquals', '0'],
      ['NumericGreaterThan', '.5'],
      ['NumericGreaterThanEquals', '+2'],
      ['DateEquals', '2020-01-01T00:00:00Z'],
      ['DateNotEquals', '2020-01-01'],
      ['DateLessThan', '2020-01-01T00:00:00.123+02:00'],
      ['DateLessThanEquals', 1577836800],
      ['DateGreaterThan', '1577836800'],
      ['DateGreaterThanEquals', '2020-01-01T00:00'],
      ['IpAddress', ['203.0.113.0/24', '2001:db8::/32']],
      ['NotIpAddress', '192.0.2.1'],
      ['Null', 'true'],
      ['StringEqualsIfExists', 'a'],
      ['ForAnyValue:StringEquals', ['a', 'b']],
      ['ForAllValues:StringLikeIfExists', 'a*'],
      ['ForAllValues:NumericLessThan', 3],
    ];
    for (const [op, value] of ops) {
      expect(() => parsePolicyDocument(doc(stmt({ Condition: { [op]: { 'aws:k': value } } }))), op).not.toThrow();
    }
  });
});

describe('parsePolicyDocument: rejections', () => {
  it('rejects invalid JSON without echoing it', () => {
    const huge = '{"Statement": ' + 'x'.repeat(100_000);
    rejects(huge, /not valid JSON/);
    try {
      parsePolicyDocument(huge);
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(200);
    }
    rejects('', /empty/);
    rejects('   ', /empty/);
    rejects('{"Version": "2012-10-17", "Statement": [}', /not valid JSON/);
  });

  it('rejects non-object documents', () => {
    rejects('[]', /must be a JSON object/);
    rejects('"x"', /must be a JSON object/);
    rejects('null', /must be a JSON object/);
    rejects(42, /must be a JSON object/);
    rejects(undefined, /must be a JSON object/);
  });

  it('rejects unknown top-level and statement keys', () => {
    rejects(doc(stmt(), { Foo: 1 }), /unknown element "Foo"/);
    rejects(doc(stmt(), { version: '2012-10-17' }), /unknown element "version"/);
    rejects(doc(stmt({ Effects: 'Allow' })), /Statement has unknown element "Effects"/);
    rejects(doc([stmt(), stmt({ Actions: ['x:y'] })]), /Statement\[1\] has unknown element "Actions"/);
    rejects('{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","__proto__":{}}}', /unknown element "__proto__"/);
  });

  it('rejects a bad or missing Version / Id / Statement', () => {
    rejects(doc(stmt(), { Version: '2012-10-18' }), /Version must be/);
    rejects(doc(stmt(), { Version: 2012 }), /Version must be/);
    rejects(doc(stmt(), { Id: 5 }), /Id must be a string/);
    rejects({ Version: '2012-10-17' }, /Statement is required/);
    rejects(doc([]), /Statement must not be empty/);
    rejects(doc('nope'), /Statement must be an object/);
    rejects(doc([stmt(), null]), /Statement\[1\] must be an object/);
  });

  it('rejects a bad or missing Effect', () => {
    rejects(doc(stmt({ Effect: 'allow' })), /Effect must be "Allow" or "Deny"/);
    rejects(doc(stmt({ Effect: 'Permit' })), /Effect must be "Allow" or "Deny"/);
    rejects(doc({ Action: '*', Resource: '*' }), /Effect is required/);
  });

  it('requires exactly one of Action / NotAction', () => {
    rejects(doc(stmt({ NotAction: 'iam:DeleteUser' })), /both Action and NotAction/);
    rejects(doc({ Effect: 'Allow', Resource: '*' }), /Action or NotAction/);
    rejects(doc(stmt({ Action: [] })), /Action must not be empty/);
    rejects(doc(stmt({ Action: 5 })), /Action must be a string or an array/);
    rejects(doc(stmt({ Action: ['iam:GetUser', 7] })), /Action\[1\] must be a string/);
  });

  it('validates action syntax', () => {
    rejects(doc(stmt({ Action: 'GetUser' })), /service:Action/);
    rejects(doc(stmt({ Action: 'ia*:GetUser' })), /service:Action/);
    rejects(doc(stmt({ Action: 'iam:Get User' })), /service:Action/);
    rejects(doc(stmt({ Action: '' })), /service:Action/);
    expect(() => parsePolicyDocument(doc(stmt({ Action: ['iam:*', 'sts:Assume?ole', 'token-service:Get*'] })))).not.toThrow();
  });

  it('requires exactly one of Resource / NotResource for identity policies', () => {
    rejects(doc(stmt({ NotResource: '*' })), /both Resource and NotResource/);
    rejects(doc({ Effect: 'Allow', Action: '*' }), /Resource or NotResource/);
    rejects(doc(stmt({ Resource: 'user/alice' })), /must be "\*" or an ARN/);
    rejects(doc(stmt({ Resource: [] })), /Resource must not be empty/);
  });

  it('rejects Principal / NotPrincipal in identity policies', () => {
    rejects(doc(stmt({ Principal: '*' })), /Principal is not allowed/);
    rejects(doc(stmt({ NotPrincipal: { AWS: ACCT } })), /NotPrincipal is not allowed/);
  });

  it('rejects unknown condition operators and malformed conditions', () => {
    rejects(doc(stmt({ Condition: { StringEqulas: { k: 'v' } } })), /StringEqulas: unknown or unsupported condition operator/);
    rejects(doc(stmt({ Condition: { stringequals: { k: 'v' } } })), /unknown or unsupported condition operator/);
    rejects(doc(stmt({ Condition: { 'ForSomeValues:StringEquals': { k: 'v' } } })), /unknown or unsupported/);
    rejects(doc(stmt({ Condition: { NullIfExists: { k: 'true' } } })), /unknown or unsupported/);
    rejects(doc(stmt({ Condition: { 'ForAnyValue:Null': { k: 'true' } } })), /unknown or unsupported/);
    rejects(doc(stmt({ Condition: [] })), /Condition must be an object/);
    rejects(doc(stmt({ Condition: {} })), /Condition must not be empty/);
    rejects(doc(stmt({ Condition: { StringEquals: {} } })), /StringEquals must not be empty/);
    rejects(doc(stmt({ Condition: { StringEquals: 'x' } })), /must be an object of condition keys/);
    rejects(doc(stmt({ Condition: { StringEquals: { k: [] } } })), /must not be an empty array/);
    rejects(doc(stmt({ Condition: { StringEquals: { k: null } } })), /must be a string, number or boolean/);
    rejects(doc(stmt({ Condition: { StringEquals: { k: { a: 1 } } } })), /must be a string, number or boolean/);
    rejects(doc(stmt({ Condition: { StringEquals: { k: [['a']] } } })), /k\[0\] must be a string, number or boolean/);
  });

  it('validates typed condition values', () => {
    rejects(doc(stmt({ Condition: { Bool: { k: 'yes' } } })), /must be "true" or "false" for Bool/);
    rejects(doc(stmt({ Condition: { Null: { k: 1 } } })), /must be "true" or "false" for Null/);
    rejects(doc(stmt({ Condition: { NumericLessThan: { k: 'ten' } } })), /must be a number/);
    rejects(doc(stmt({ Condition: { NumericLessThan: { k: '0x10' } } })), /must be a number/);
    rejects(doc(stmt({ Condition: { NumericLessThan: { k: '' } } })), /must be a number/);
    rejects(doc(stmt({ Condition: { DateLessThan: { k: 'next tuesday' } } })), /ISO 8601/);
    rejects(doc(stmt({ Condition: { DateLessThan: { k: '2020-13-01' } } })), /ISO 8601/);
    rejects(doc(stmt({ Condition: { IpAddress: { k: '10.0.0.0/33' } } })), /IPv4\/IPv6 address or CIDR/);
    rejects(doc(stmt({ Condition: { NotIpAddress: { k: '2001:db8::/129' } } })), /IPv4\/IPv6/);
    rejects(doc(stmt({ Condition: { IpAddress: { k: 'localhost' } } })), /IPv4\/IPv6/);
  });

  it('rejects duplicate Sids and non-string Sids', () => {
    rejects(doc([stmt({ Sid: 'A' }), stmt({ Sid: 'A' })]), /must be unique/);
    rejects(doc(stmt({ Sid: 1 })), /Sid must be a string/);
    expect(() => parsePolicyDocument(doc([stmt({ Sid: '' }), stmt({ Sid: '' })]))).not.toThrow();
  });

  it('keeps error messages short even for huge values', () => {
    const big = 'x'.repeat(50_000);
    let msg = '';
    try {
      parsePolicyDocument(doc(stmt({ Effect: big })));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/Effect must be/);
    expect(msg.length).toBeLessThan(200);
    try {
      parsePolicyDocument(doc(stmt({ Condition: { [big]: { k: 'v' } } })));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/unknown or unsupported/);
    expect(msg.length).toBeLessThan(200);
  });

  it('enforces maxSize (counted without whitespace outside strings)', () => {
    const compact = JSON.stringify(doc(stmt()));
    const pretty = JSON.stringify(doc(stmt()), null, 4);
    expect(() => parsePolicyDocument(pretty, { maxSize: compact.length })).not.toThrow();
    rejects(pretty, /exceeds the maximum size/, { maxSize: compact.length - 1 });
    rejects(doc(stmt()), /exceeds the maximum size/, { maxSize: 10 });
  });
});

describe('parsePolicyDocument: trust policies', () => {
  const trust = (s: unknown) => parsePolicyDocument(doc(s), { kind: 'trust' });

  it('accepts and normalises Principal forms; Resource is optional', () => {
    const d = trust([
      { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { AWS: ACCT }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${ACCT}:root`, `arn:aws:iam::${ACCT}:user/alice`] }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { Federated: 'accounts.google.com' }, Action: 'sts:AssumeRoleWithWebIdentity' },
      { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com', AWS: '*' }, Action: 'sts:AssumeRole', Resource: '*' },
      { Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${ACCT}:user/alice` }, Action: 'sts:AssumeRole' },
    ]);
    expect(d.Statement[0]!.Principal).toBe('*');
    expect(d.Statement[1]!.Principal).toEqual({ AWS: [ACCT] });
    expect(d.Statement[3]!.Principal).toEqual({ Federated: ['accounts.google.com'] });
    expect(d.Statement[4]!.Principal).toEqual({ Service: ['ec2.amazonaws.com'], AWS: ['*'] });
    expect(d.Statement[4]!.Resource).toEqual(['*']);
    expect(d.Statement[0]!.Resource).toBeUndefined();
    expect(d.Statement[5]!.NotPrincipal).toEqual({ AWS: [`arn:aws:iam::${ACCT}:user/alice`] });
  });

  it('rejects malformed principals', () => {
    const bad = (p: unknown, re: RegExp) => rejects(doc({ Effect: 'Allow', Principal: p, Action: 'sts:AssumeRole' }), re, { kind: 'trust' });
    bad('alice', /must be "\*" or an object/);
    bad({}, /must not be empty/);
    bad({ CanonicalUser: 'abc' }, /unsupported principal type "CanonicalUser"/);
    bad({ AWS: 'alice' }, /12-digit account id or an ARN/);
    bad({ AWS: '12345' }, /12-digit account id or an ARN/);
    bad({ AWS: `arn:aws:iam::${ACCT}:user/*` }, /must not contain wildcards/);
    bad({ AWS: [] }, /must not be empty/);
    bad({ Service: '*' }, /must not contain wildcards/);
    bad({ Federated: '' }, /must not be empty/);
    bad([ACCT], /must be "\*" or an object/);
  });

  it('requires exactly one of Principal / NotPrincipal and forbids Allow + NotPrincipal', () => {
    rejects(doc({ Effect: 'Allow', Action: 'sts:AssumeRole' }), /Principal or NotPrincipal/, { kind: 'trust' });
    rejects(doc({ Effect: 'Deny', Principal: '*', NotPrincipal: '*', Action: 'sts:AssumeRole' }), /both Principal and NotPrincipal/, { kind: 'trust' });
    rejects(doc({ Effect: 'Allow', NotPrincipal: { AWS: ACCT }, Action: 'sts:AssumeRole' }), /NotPrincipal is only supported with "Effect": "Deny"/, { kind: 'trust' });
    rejects(doc({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Resource: '*', NotResource: '*' }), /both Resource and NotResource/, { kind: 'trust' });
  });
});

describe('policyDocumentSize', () => {
  it('ignores whitespace outside strings only', () => {
    expect(policyDocumentSize('{ "a" : "b c" }')).toBe('{"a":"b c"}'.length);
    expect(policyDocumentSize('{\n\t"a":\r\n [1, 2]\n}')).toBe('{"a":[1,2]}'.length);
    expect(policyDocumentSize('{"a":"x\\" y"}')).toBe('{"a":"x\\" y"}'.length);
    expect(policyDocumentSize('')).toBe(0);
  });
});

describe('shared value parsers', () => {
  it('parseConditionOperator', () => {
    expect(parseConditionOperator('StringEquals')).toEqual({ name: 'StringEquals', qualifier: undefined, ifExists: false, negated: false });
    expect(parseConditionOperator('ForAllValues:StringNotLikeIfExists')).toEqual({
      name: 'StringNotLike',
      qualifier: 'ForAllValues',
      ifExists: true,
      negated: true,
    });
    expect(parseConditionOperator('NotIpAddress')!.negated).toBe(true);
    expect(parseConditionOperator('IfExists')).toBeUndefined();
    expect(parseConditionOperator('Nope')).toBeUndefined();
  });

  it('parseNumberValue', () => {
    expect(parseNumberValue('42')).toBe(42);
    expect(parseNumberValue('-1.5e2')).toBe(-150);
    expect(parseNumberValue(7)).toBe(7);
    expect(parseNumberValue('')).toBeUndefined();
    expect(parseNumberValue(' 1')).toBeUndefined();
    expect(parseNumberValue('Infinity')).toBeUndefined();
    expect(parseNumberValue(Number.NaN)).toBeUndefined();
  });

  it('parseDateValue', () => {
    expect(parseDateValue('2020-01-01T00:00:00Z')).toBe(Date.UTC(2020, 0, 1));
    expect(parseDateValue('2020-01-01')).toBe(Date.UTC(2020, 0, 1));
    expect(parseDateValue('2020-01-01T02:00:00+02:00')).toBe(Date.UTC(2020, 0, 1));
    expect(parseDateValue('2020-01-01T00:00:00-0130')).toBe(Date.UTC(2020, 0, 1, 1, 30));
    expect(parseDateValue('2020-01-01T00:00:00.250Z')).toBe(Date.UTC(2020, 0, 1, 0, 0, 0, 250));
    expect(parseDateValue(1577836800)).toBe(Date.UTC(2020, 0, 1));
    expect(parseDateValue('1577836800')).toBe(Date.UTC(2020, 0, 1));
    expect(parseDateValue('2021-02-29')).toBeUndefined();
    expect(parseDateValue('2020-01-01T25:00:00Z')).toBeUndefined();
    expect(parseDateValue('Jan 1 2020')).toBeUndefined();
    expect(parseDateValue(true)).toBeUndefined();
  });

  it('parseIpAddress / parseCidr / cidrContains', () => {
    expect(parseIpAddress('10.0.0.1')).toEqual({ v6: false, value: 0x0a000001n });
    expect(parseIpAddress('::')).toEqual({ v6: true, value: 0n });
    expect(parseIpAddress('::1')).toEqual({ v6: true, value: 1n });
    expect(parseIpAddress('1::')).toEqual({ v6: true, value: 1n << 112n });
    expect(parseIpAddress('::ffff:1.2.3.4')).toEqual({ v6: true, value: 0xffff01020304n });
    expect(parseIpAddress('1:2:3:4:5:6:7:8')!.value).toBe(0x00010002000300040005000600070008n);
    for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', ':1', '1.2.3.4.5', '']) {
      expect(parseIpAddress(bad), bad).toBeUndefined();
    }
    const c = parseCidr('192.168.1.77/16')!;
    expect(c.prefix).toBe(16);
    expect(c.network).toBe(0xc0a80000n);
    expect(cidrContains(c, parseIpAddress('192.168.255.1')!)).toBe(true);
    expect(cidrContains(c, parseIpAddress('192.169.0.1')!)).toBe(false);
    expect(parseCidr('10.0.0.0/')).toBeUndefined();
    expect(parseCidr('10.0.0.0/-1')).toBeUndefined();
    expect(parseCidr('::/128')!.prefix).toBe(128);
  });
});
