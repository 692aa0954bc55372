import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { ErrorCode } from '../../src/common/errors/error-codes.js';
import {
  STS_LIMITS,
  packedPolicySize,
  parseAssumeRoleInput,
  parseAssumeRoleWithWebIdentityInput,
  parseGetFederationTokenInput,
  parseGetSessionTokenInput,
  parseSessionPolicy,
  resolveDuration,
  sessionPolicyDocuments,
  type SessionTag,
} from '../../src/common/sts/sts-params.js';

const ACCT = '111122223333';
const ROLE = `arn:aws:iam::${ACCT}:role/app/deployer`;
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const CUSTOMER = `arn:aws:iam::${ACCT}:policy/team/s3-read`;
const AR = { RoleArn: ROLE, RoleSessionName: 'build-42' };
const WI = { RoleArn: ROLE, RoleSessionName: 'gh-actions', WebIdentityToken: 'eyJhbGciOi.payload.sig' };
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });

/** The DomainError thrown by fn (fails the test if nothing or something else is thrown). */
function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('expected a DomainError');
}

/** Expects a ValidationError whose message matches `re` (when given); returns the message. */
function invalid(fn: () => unknown, re?: RegExp | string): string {
  const e = thrown(fn);
  expect(e.code).toBe(ErrorCode.ValidationError);
  if (re !== undefined) expect(e.message).toMatch(re);
  return e.message;
}

const ar = (extra: Record<string, unknown>) => () => parseAssumeRoleInput({ ...AR, ...extra });
const gft = (extra: Record<string, unknown>) => () => parseGetFederationTokenInput({ Name: 'bob', ...extra });
const wi = (extra: Record<string, unknown>) => () => parseAssumeRoleWithWebIdentityInput({ ...WI, ...extra });
const gst = (extra: Record<string, unknown>) => () => parseGetSessionTokenInput(extra);

const tags = (n: number, prefix = 'k'): SessionTag[] => Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));

describe('STS_LIMITS', () => {
  it('carries the AWS STS limits', () => {
    expect(STS_LIMITS).toMatchObject({
      roleArn: { min: 20, max: 2048 },
      roleSessionName: { min: 2, max: 64 },
      federationName: { min: 2, max: 32 },
      durationSeconds: { min: 900, max: 129_600 },
      roleDurationSeconds: { min: 900, max: 43_200 },
      policy: { min: 1, max: 2048 },
      policyArns: { maxItems: 10 },
      policyArn: { min: 20, max: 2048 },
      tags: { maxItems: 50 },
      tagKey: { min: 1, max: 128 },
      tagValue: { min: 0, max: 256 },
      transitiveTagKeys: { maxItems: 50 },
      externalId: { min: 2, max: 1224 },
      sourceIdentity: { min: 2, max: 64 },
      serialNumber: { min: 9, max: 256 },
      tokenCode: { min: 6, max: 6 },
      webIdentityToken: { min: 4, max: 20_000 },
      packedPolicyAllowance: 2048,
    });
  });
});

describe('request shape', () => {
  it('normalizes a minimal AssumeRole request', () => {
    expect(parseAssumeRoleInput(AR)).toEqual({ ...AR, PolicyArns: [], Tags: [], TransitiveTagKeys: [] });
  });

  it('normalizes a full AssumeRole request (PolicyArns as objects or strings, DurationSeconds as a string)', () => {
    const input = parseAssumeRoleInput({
      ...AR,
      DurationSeconds: '3600',
      Policy: POLICY,
      PolicyArns: [{ arn: READ_ONLY }, CUSTOMER],
      Tags: [{ Key: 'team', Value: 'payments' }, { Key: 'cost-center', Value: '' }],
      TransitiveTagKeys: ['team'],
      ExternalId: 'tenant-7',
      SourceIdentity: 'alice@example.com',
      SerialNumber: `arn:aws:iam::${ACCT}:mfa/alice`,
      TokenCode: '012345',
    });
    expect(input).toEqual({
      ...AR,
      DurationSeconds: 3600,
      Policy: POLICY,
      PolicyArns: [READ_ONLY, CUSTOMER],
      Tags: [
        { Key: 'team', Value: 'payments' },
        { Key: 'cost-center', Value: '' },
      ],
      TransitiveTagKeys: ['team'],
      ExternalId: 'tenant-7',
      SourceIdentity: 'alice@example.com',
      SerialNumber: `arn:aws:iam::${ACCT}:mfa/alice`,
      TokenCode: '012345',
    });
  });

  it('normalizes the other operations', () => {
    expect(parseGetSessionTokenInput({})).toEqual({});
    expect(parseGetSessionTokenInput(undefined)).toEqual({});
    expect(parseGetSessionTokenInput(null)).toEqual({});
    expect(parseGetSessionTokenInput({ DurationSeconds: 900, SerialNumber: 'GAHT12345678', TokenCode: '123456' })).toEqual({
      DurationSeconds: 900,
      SerialNumber: 'GAHT12345678',
      TokenCode: '123456',
    });
    expect(parseGetFederationTokenInput({ Name: 'bob' })).toEqual({ Name: 'bob', PolicyArns: [], Tags: [] });
    expect(parseGetFederationTokenInput({ Name: 'bob', DurationSeconds: '7200', Policy: POLICY, PolicyArns: [{ arn: READ_ONLY }], Tags: [{ Key: 'a', Value: 'b' }] })).toEqual({
      Name: 'bob',
      DurationSeconds: 7200,
      Policy: POLICY,
      PolicyArns: [READ_ONLY],
      Tags: [{ Key: 'a', Value: 'b' }],
    });
    expect(parseAssumeRoleWithWebIdentityInput(WI)).toEqual({ ...WI, PolicyArns: [] });
    expect(parseAssumeRoleWithWebIdentityInput({ ...WI, DurationSeconds: 1800, Policy: POLICY, PolicyArns: [READ_ONLY] })).toEqual({
      ...WI,
      DurationSeconds: 1800,
      Policy: POLICY,
      PolicyArns: [READ_ONLY],
    });
  });

  it('ignores unknown parameters and treats null as absent', () => {
    expect(parseAssumeRoleInput({ ...AR, Foo: 1, ProviderId: 'x', Action: 'AssumeRole', Version: '2011-06-15' })).toEqual({ ...AR, PolicyArns: [], Tags: [], TransitiveTagKeys: [] });
    expect(parseAssumeRoleInput({ ...AR, Policy: null, PolicyArns: null, Tags: null, ExternalId: null, DurationSeconds: null })).toEqual({
      ...AR,
      PolicyArns: [],
      Tags: [],
      TransitiveTagKeys: [],
    });
    // Parameters of another operation are ignored too.
    expect(parseGetFederationTokenInput({ Name: 'bob', ExternalId: 'x', TransitiveTagKeys: 5 })).toEqual({ Name: 'bob', PolicyArns: [], Tags: [] });
  });

  it('does not read parameters from the prototype chain', () => {
    const proto = { RoleArn: ROLE, RoleSessionName: 'inherited' };
    invalid(() => parseAssumeRoleInput(Object.create(proto)), /Value null at 'roleArn'/);
  });

  it('refuses a request that is not an object', () => {
    for (const raw of ['RoleArn=x', 42, [AR], true]) invalid(() => parseAssumeRoleInput(raw), /must be an object/);
  });

  it('refuses wrong types with a ValidationError', () => {
    invalid(ar({ RoleSessionName: 42 }), "Value of type number at 'roleSessionName' failed to satisfy constraint: Member must be a string");
    invalid(ar({ RoleArn: { arn: ROLE } }), /at 'roleArn'.*must be a string/);
    invalid(ar({ ExternalId: ['a', 'b'] }), /Value of type array at 'externalId'/);
    invalid(ar({ PolicyArns: READ_ONLY }), "Value of type string at 'policyArns' failed to satisfy constraint: Member must be a list");
    invalid(ar({ PolicyArns: [42] }), /at 'policyArns.1.member'/);
    invalid(ar({ Tags: { Key: 'a', Value: 'b' } }), /Value of type object at 'tags'.*must be a list/);
    invalid(ar({ Tags: ['a=b'] }), /Value of type string at 'tags.1.member'/);
    invalid(ar({ Tags: [{ Key: 'a', Value: 1 }] }), /Value of type number at 'tags.1.member.value'/);
    invalid(ar({ TransitiveTagKeys: 'a' }), /at 'transitiveTagKeys'.*must be a list/);
    invalid(ar({ DurationSeconds: true }), /Value of type boolean at 'durationSeconds'.*must be an integer/);
    invalid(ar({ Policy: { Version: '2012-10-17' } }), /Value of type object at 'policy'/);
    invalid(wi({ WebIdentityToken: 1234 }), /at 'webIdentityToken'.*must be a string/);
    invalid(gft({ Name: ['bob'] }), /at 'name'.*must be a string/);
  });

  it('reports every invalid parameter in one AWS-style message', () => {
    const msg = invalid(() => parseAssumeRoleInput({ RoleSessionName: 'x', ExternalId: 'y' }));
    expect(msg).toBe(
      "3 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
        "Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
        "Value 'y' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
  });

  it('truncates echoed values to 64 characters and neutralizes control characters', () => {
    const msg = invalid(ar({ RoleSessionName: 'a'.repeat(200) }));
    expect(msg).toContain(`Value '${'a'.repeat(61)}...' at 'roleSessionName'`);
    expect(msg).not.toContain('a'.repeat(62));
    const ctl = invalid(ar({ RoleSessionName: 'ab\ncd\u0000' }));
    expect(ctl).toContain("Value 'ab?cd?' at 'roleSessionName'");
  });

  it('checks parameters before cross-parameter rules and the policy document', () => {
    // Both a bad session name and a malformed policy: the ValidationError comes first.
    invalid(ar({ RoleSessionName: 'x', Policy: '{"Version":' }), /roleSessionName/);
    invalid(ar({ RoleSessionName: 'x', SerialNumber: 'GAHT12345678' }), /roleSessionName/);
  });
});

describe('RoleArn', () => {
  const prefix = `arn:aws:iam::${ACCT}:role/`;

  it('is required', () => {
    invalid(() => parseAssumeRoleInput({ RoleSessionName: 'ok-name' }), "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
    invalid(() => parseAssumeRoleWithWebIdentityInput({ RoleSessionName: 'ok', WebIdentityToken: 'abcd' }), /Value null at 'roleArn'/);
  });

  it('must be 20-2048 characters', () => {
    invalid(ar({ RoleArn: 'x'.repeat(19) }), /at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20$/);
    // 20 characters passes the length check (and then is not a role ARN).
    invalid(ar({ RoleArn: 'x'.repeat(20) }), /Member must be an IAM role ARN/);
    const longest = prefix + 'r'.repeat(2048 - prefix.length);
    expect(longest).toHaveLength(2048);
    expect(parseAssumeRoleInput({ ...AR, RoleArn: longest }).RoleArn).toBe(longest);
    invalid(ar({ RoleArn: `${longest}r` }), /Member must have length less than or equal to 2048$/);
  });

  it('must be an IAM role ARN', () => {
    for (const ok of [`${prefix}r`, `${prefix}path/to/Role_1+=,.@-`]) expect(parseAssumeRoleInput({ ...AR, RoleArn: ok }).RoleArn).toBe(ok);
    for (const bad of [
      'not-an-arn-at-all-xxxx',
      `arn:aws:iam::${ACCT}:user/alice`,
      `arn:aws:iam::${ACCT}:policy/p`,
      `arn:aws:sts::${ACCT}:assumed-role/r/s`,
      `arn:aws:iam::aws:role/r`,
      `arn:aws:iam::12345678901:role/r`,
      `arn:aws:iam:us-east-1:${ACCT}:role/r`,
      `arn:aws-cn:iam::${ACCT}:role/r`,
      `arn:aws:iam::${ACCT}:role/`,
      `arn:aws:iam::${ACCT}:role/path/`,
      `arn:aws:iam::${ACCT}:role:r`,
      `arn:aws:iam::${ACCT}:role/has space`,
    ]) {
      invalid(ar({ RoleArn: bad }), /at 'roleArn' failed to satisfy constraint: Member must be an IAM role ARN/);
    }
  });
});

describe('RoleSessionName and Name', () => {
  it('RoleSessionName: 2-64 characters of [\\w+=,.@-]', () => {
    expect(parseAssumeRoleInput({ ...AR, RoleSessionName: 'ab' }).RoleSessionName).toBe('ab');
    invalid(ar({ RoleSessionName: 'x' }), "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2");
    invalid(ar({ RoleSessionName: '' }), /greater than or equal to 2/);
    expect(parseAssumeRoleInput({ ...AR, RoleSessionName: 'a'.repeat(64) }).RoleSessionName).toHaveLength(64);
    invalid(ar({ RoleSessionName: 'a'.repeat(65) }), /at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64/);
    expect(parseAssumeRoleInput({ ...AR, RoleSessionName: 'A_z0+=,.@-' }).RoleSessionName).toBe('A_z0+=,.@-');
    for (const bad of ['has space', 'a/b', 'a:b', 'é-é', 'a*b']) {
      invalid(ar({ RoleSessionName: bad }), `at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    }
    invalid(() => parseAssumeRoleInput({ RoleArn: ROLE }), /Value null at 'roleSessionName'/);
    invalid(wi({ RoleSessionName: 'x' }), /at 'roleSessionName'/);
    invalid(wi({ RoleSessionName: 'sp ace' }), /regular expression pattern/);
  });

  it('Name (GetFederationToken): 2-32 characters of [\\w+=,.@-]', () => {
    expect(parseGetFederationTokenInput({ Name: 'bo' }).Name).toBe('bo');
    invalid(gft({ Name: 'b' }), "1 validation error detected: Value 'b' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2");
    expect(parseGetFederationTokenInput({ Name: 'x'.repeat(32) }).Name).toHaveLength(32);
    invalid(gft({ Name: 'x'.repeat(33) }), /at 'name'.*less than or equal to 32/);
    invalid(gft({ Name: 'sp ace' }), /at 'name'.*regular expression pattern: \[\\w\+=,\.@-\]\*/);
    invalid(() => parseGetFederationTokenInput({}), /Value null at 'name'/);
  });
});

describe('DurationSeconds', () => {
  it('GetSessionToken and GetFederationToken: integer in 900-129600', () => {
    for (const parse of [gst, gft]) {
      expect(parse({ DurationSeconds: 900 })()).toMatchObject({ DurationSeconds: 900 });
      expect(parse({ DurationSeconds: 129_600 })()).toMatchObject({ DurationSeconds: 129_600 });
      invalid(parse({ DurationSeconds: 899 }), "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
      invalid(parse({ DurationSeconds: 129_601 }), "Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600");
    }
  });

  it('AssumeRole and AssumeRoleWithWebIdentity: integer in 900-43200', () => {
    for (const parse of [ar, wi]) {
      expect(parse({ DurationSeconds: 900 })().DurationSeconds).toBe(900);
      expect(parse({ DurationSeconds: 43_200 })().DurationSeconds).toBe(43_200);
      invalid(parse({ DurationSeconds: 899 }), /greater than or equal to 900/);
      invalid(parse({ DurationSeconds: 43_201 }), "Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200");
    }
  });

  it('accepts decimal strings (Query protocol) and refuses anything that is not an integer', () => {
    expect(parseGetSessionTokenInput({ DurationSeconds: '3600' })).toEqual({ DurationSeconds: 3600 });
    expect(parseGetSessionTokenInput({ DurationSeconds: '0900' })).toEqual({ DurationSeconds: 900 });
    expect(parseGetSessionTokenInput({ DurationSeconds: 3600.0 })).toEqual({ DurationSeconds: 3600 });
    invalid(gst({ DurationSeconds: '899' }), /greater than or equal to 900/);
    invalid(gst({ DurationSeconds: '-1000' }), /greater than or equal to 900/);
    invalid(gst({ DurationSeconds: '99999999999999999999999' }), /less than or equal to 129600/);
    for (const bad of ['abc', '', ' 900', '900 ', '1e3', '0x384', '900.5', '+900']) {
      invalid(gst({ DurationSeconds: bad }), /at 'durationSeconds' failed to satisfy constraint: Member must be an integer/);
    }
    for (const bad of [900.5, Number.NaN, Number.POSITIVE_INFINITY]) invalid(gst({ DurationSeconds: bad }), /Member must be an integer/);
    invalid(gst({ DurationSeconds: [900] }), /Value of type array at 'durationSeconds'/);
  });
});

describe('Policy', () => {
  const padded = (len: number) => POLICY + ' '.repeat(len - POLICY.length);

  it('1-2048 characters counted with whitespace', () => {
    expect(parseAssumeRoleInput({ ...AR, Policy: padded(2048) }).Policy).toHaveLength(2048);
    invalid(ar({ Policy: padded(2049) }), "1 validation error detected: Value '<redacted>' at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048");
    invalid(ar({ Policy: '' }), "Value '<redacted>' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1");
    invalid(gft({ Policy: padded(2049) }), /at 'policy'/);
    invalid(wi({ Policy: padded(2049) }), /at 'policy'/);
  });

  it('characters in \\u0009 \\u000A \\u000D \\u0020-\\u00FF', () => {
    const withLatin1 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'caf\u00e9', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    expect(parseAssumeRoleInput({ ...AR, Policy: `\t${withLatin1}\r\n` }).Policy).toBe(`\t${withLatin1}\r\n`);
    for (const bad of [POLICY.replace('s3:GetObject', 's3:GetObject\u0100'), `${POLICY}\u0000`, `${POLICY}\u000b`, `${POLICY}\u{1F600}`]) {
      const msg = invalid(ar({ Policy: bad }), /at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern/);
      expect(msg).toContain("'<redacted>'");
    }
  });

  it('never echoes the policy text', () => {
    const marker = 'ZZSECRETMARKERZZ';
    const cases = [
      `{"Marker":"${marker}"`, // not JSON
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: marker, Resource: '*' }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: marker, Action: 's3:*', Resource: '*' }] }),
      JSON.stringify({ Version: marker, Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      JSON.stringify({ Version: '2012-10-17', [marker]: 1, Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ [marker]: 1, Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: marker }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { [marker]: { a: 'b' } } }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { NumericEquals: { [marker]: 'x' } } }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': marker } } }] }),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: marker, Effect: 'Allow', Action: 's3:*', Resource: '*' },
          { Sid: marker, Effect: 'Allow', Action: 's3:*', Resource: '*' },
        ],
      }),
      `${POLICY}${marker}\u0100`, // bad characters
      `${POLICY}${' '.repeat(2048)}${marker}`, // too long
    ];
    for (const policy of cases) {
      const e = thrown(ar({ Policy: policy }));
      expect([ErrorCode.ValidationError, ErrorCode.MalformedPolicyDocument]).toContain(e.code);
      expect(e.message, policy).not.toContain(marker);
      expect(e.message, policy).not.toContain(marker.slice(0, 8));
    }
  });

  it('must be a policy document: MalformedPolicyDocument otherwise', () => {
    const notJson = thrown(ar({ Policy: '{"Version":' }));
    expect(notJson.code).toBe(ErrorCode.MalformedPolicyDocument);
    expect(notJson.message).toBe('The policy is not in the valid JSON format.');
    expect(thrown(ar({ Policy: '[1,2]' })).code).toBe(ErrorCode.MalformedPolicyDocument);
    expect(thrown(ar({ Policy: '   ' })).code).toBe(ErrorCode.MalformedPolicyDocument);
    const noResource = thrown(gft({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*' }] }) }));
    expect(noResource.code).toBe(ErrorCode.MalformedPolicyDocument);
    expect(noResource.message).toBe('Syntax errors in policy: Statement[0] must contain Resource or NotResource.');
    const badAction = thrown(wi({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'nope', Resource: '*' }] }) }));
    expect(badAction.code).toBe(ErrorCode.MalformedPolicyDocument);
    expect(badAction.message).toMatch(/^Syntax errors in policy: Statement\[0\]\.Action /);
  });

  it('must not name a Principal or NotPrincipal (session policies are identity policies)', () => {
    for (const el of [{ Principal: { AWS: ACCT } }, { NotPrincipal: { AWS: ACCT } }, { Principal: '*' }]) {
      const e = thrown(ar({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', ...el }] }) }));
      expect(e.code).toBe(ErrorCode.MalformedPolicyDocument);
      expect(e.message).toMatch(/Principal or NotPrincipal/);
    }
  });
});

describe('parseSessionPolicy / sessionPolicyDocuments', () => {
  it('returns the parsed documents for evaluation', () => {
    expect(sessionPolicyDocuments({})).toEqual([]);
    expect(sessionPolicyDocuments({ Policy: undefined })).toEqual([]);
    const docs = sessionPolicyDocuments({ Policy: POLICY });
    expect(docs).toEqual([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }] }]);
    expect(parseSessionPolicy(POLICY)).toEqual(docs[0]);
  });

  it('throws MalformedPolicyDocument', () => {
    expect(thrown(() => sessionPolicyDocuments({ Policy: 'nope' })).code).toBe(ErrorCode.MalformedPolicyDocument);
    expect(thrown(() => parseSessionPolicy('{}')).code).toBe(ErrorCode.MalformedPolicyDocument);
  });
});

describe('PolicyArns', () => {
  it('0-10 items', () => {
    const ten = Array.from({ length: 10 }, (_, i) => ({ arn: `arn:aws:iam::aws:policy/P${i}` }));
    expect(parseAssumeRoleInput({ ...AR, PolicyArns: ten }).PolicyArns).toHaveLength(10);
    expect(parseAssumeRoleInput({ ...AR, PolicyArns: [] }).PolicyArns).toEqual([]);
    invalid(ar({ PolicyArns: [...ten, { arn: READ_ONLY }] }), /at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10$/);
    invalid(gft({ PolicyArns: Array.from({ length: 11 }, () => READ_ONLY) }), /at 'policyArns'.*less than or equal to 10/);
    invalid(wi({ PolicyArns: Array.from({ length: 11 }, () => READ_ONLY) }), /at 'policyArns'.*less than or equal to 10/);
  });

  it('each ARN 20-2048 characters', () => {
    invalid(ar({ PolicyArns: [{ arn: 'x'.repeat(19) }] }), "Value 'xxxxxxxxxxxxxxxxxxx' at 'policyArns.1.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20");
    invalid(ar({ PolicyArns: [{ arn: 'x'.repeat(20) }] }), /at 'policyArns.1.member.arn' failed to satisfy constraint: Member must be an IAM policy ARN/);
    const prefix = 'arn:aws:iam::aws:policy/';
    const longest = prefix + 'p'.repeat(2048 - prefix.length);
    expect(parseAssumeRoleInput({ ...AR, PolicyArns: [{ arn: longest }] }).PolicyArns).toEqual([longest]);
    invalid(ar({ PolicyArns: [READ_ONLY, { arn: `${longest}p` }] }), /at 'policyArns.2.member.arn'.*less than or equal to 2048/);
    invalid(ar({ PolicyArns: [{}] }), "Value null at 'policyArns.1.member.arn' failed to satisfy constraint: Member must not be null");
  });

  it('each a policy ARN of an account or of AWS', () => {
    expect(parseAssumeRoleInput({ ...AR, PolicyArns: [READ_ONLY, CUSTOMER, { arn: `arn:aws:iam::aws:policy/service-role/AWSLambdaRole` }] }).PolicyArns).toHaveLength(3);
    for (const bad of [ROLE, `arn:aws:iam::${ACCT}:user/alice`, 'arn:aws:s3:::bucket/policy/x', `arn:aws:iam::${ACCT}:policy/`, `arn:aws:iam:eu-west-1:aws:policy/P`, 'arn:aws:iam::123:policy/P', 'arn:aws-cn:iam::aws:policy/P']) {
      invalid(ar({ PolicyArns: [{ arn: bad }] }), /Member must be an IAM policy ARN/);
    }
  });
});

describe('Tags and TransitiveTagKeys', () => {
  it('0-50 tags', () => {
    expect(parseAssumeRoleInput({ ...AR, Tags: tags(50) }).Tags).toHaveLength(50);
    invalid(ar({ Tags: tags(51) }), /at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50$/);
    expect(parseGetFederationTokenInput({ Name: 'bob', Tags: tags(50) }).Tags).toHaveLength(50);
    invalid(gft({ Tags: tags(51) }), /at 'tags'/);
  });

  it('Key 1-128, Value 0-256', () => {
    const k128 = 'k'.repeat(128);
    const v256 = 'v'.repeat(256);
    expect(parseAssumeRoleInput({ ...AR, Tags: [{ Key: k128, Value: v256 }] }).Tags).toEqual([{ Key: k128, Value: v256 }]);
    expect(parseAssumeRoleInput({ ...AR, Tags: [{ Key: 'k', Value: '' }] }).Tags).toEqual([{ Key: 'k', Value: '' }]);
    invalid(ar({ Tags: [{ Key: `${k128}k`, Value: 'v' }] }), /at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128/);
    invalid(ar({ Tags: [{ Key: 'a', Value: 'b' }, { Key: '', Value: 'v' }] }), "Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1");
    invalid(ar({ Tags: [{ Key: 'k', Value: `${v256}v` }] }), /at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256/);
    invalid(ar({ Tags: [{ Key: 'k' }] }), "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null");
    invalid(ar({ Tags: [{ Value: 'v' }] }), "Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null");
  });

  it('characters [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]', () => {
    const ok = [{ Key: 'Équipe Ü', Value: 'ñ 1٢३ _.:/=+-@' }, { Key: 'team:app/x', Value: '日本語' }];
    expect(parseAssumeRoleInput({ ...AR, Tags: ok }).Tags).toEqual(ok);
    for (const bad of ['a!b', 'a#', 'a*', 'a\nb', 'a,b']) {
      invalid(ar({ Tags: [{ Key: bad, Value: 'v' }] }), /at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\p\{L\}/);
      invalid(ar({ Tags: [{ Key: 'k', Value: bad }] }), /at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    }
  });

  it('keys are unique ignoring case and must not use the aws: prefix', () => {
    invalid(ar({ Tags: [{ Key: 'Team', Value: 'a' }, { Key: 'team', Value: 'b' }] }), 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    invalid(gft({ Tags: [{ Key: 'x', Value: 'a' }, { Key: 'X', Value: 'a' }] }), /Duplicate tag keys found/);
    invalid(ar({ Tags: [{ Key: 'aws:team', Value: 'a' }] }), /at 'tags.1.member.key'.*reserved prefix aws:/);
    invalid(ar({ Tags: [{ Key: 'AWS:team', Value: 'a' }] }), /reserved prefix aws:/);
  });

  it('TransitiveTagKeys: 0-50 keys, each one of the tag keys', () => {
    const fifty = tags(50);
    const keys = fifty.map((t) => t.Key);
    expect(parseAssumeRoleInput({ ...AR, Tags: fifty, TransitiveTagKeys: keys }).TransitiveTagKeys).toEqual(keys);
    invalid(ar({ Tags: fifty, TransitiveTagKeys: [...keys, 'k0'] }), /at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to 50/);
    expect(parseAssumeRoleInput({ ...AR, Tags: [{ Key: 'Team', Value: 'a' }], TransitiveTagKeys: ['team'] }).TransitiveTagKeys).toEqual(['team']);
    invalid(ar({ Tags: [{ Key: 'team', Value: 'a' }], TransitiveTagKeys: ['project'] }), "The transitive tag key 'project' must be one of the keys in Tags.");
    invalid(ar({ TransitiveTagKeys: ['team'] }), /must be one of the keys in Tags/);
    invalid(ar({ Tags: [{ Key: 'team', Value: 'a' }], TransitiveTagKeys: [''] }), /at 'transitiveTagKeys.1.member'.*greater than or equal to 1/);
    invalid(ar({ Tags: [{ Key: 'team', Value: 'a' }], TransitiveTagKeys: ['t'.repeat(129)] }), /at 'transitiveTagKeys.1.member'.*less than or equal to 128/);
    invalid(ar({ TransitiveTagKeys: [7] }), /Value of type number at 'transitiveTagKeys.1.member'/);
  });
});

describe('ExternalId and SourceIdentity', () => {
  it('ExternalId: 2-1224 characters of [\\w+=,.@:/-]', () => {
    expect(parseAssumeRoleInput({ ...AR, ExternalId: 'ab' }).ExternalId).toBe('ab');
    invalid(ar({ ExternalId: 'x' }), "Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2");
    expect(parseAssumeRoleInput({ ...AR, ExternalId: 'e'.repeat(1224) }).ExternalId).toHaveLength(1224);
    invalid(ar({ ExternalId: 'e'.repeat(1225) }), /at 'externalId'.*less than or equal to 1224/);
    expect(parseAssumeRoleInput({ ...AR, ExternalId: 'urn:tenant/7_a+=,.@-' }).ExternalId).toBe('urn:tenant/7_a+=,.@-');
    for (const bad of ['has space', 'a#b', 'a*b']) invalid(ar({ ExternalId: bad }), /at 'externalId'.*regular expression pattern: \[\\w\+=,\.@:\\\/-\]\*/);
  });

  it('SourceIdentity: 2-64 characters of [\\w+=,.@-], not starting with aws:', () => {
    expect(parseAssumeRoleInput({ ...AR, SourceIdentity: 'al' }).SourceIdentity).toBe('al');
    invalid(ar({ SourceIdentity: 'a' }), /at 'sourceIdentity'.*greater than or equal to 2/);
    expect(parseAssumeRoleInput({ ...AR, SourceIdentity: 's'.repeat(64) }).SourceIdentity).toHaveLength(64);
    invalid(ar({ SourceIdentity: 's'.repeat(65) }), /at 'sourceIdentity'.*less than or equal to 64/);
    invalid(ar({ SourceIdentity: 'alice smith' }), /at 'sourceIdentity'.*regular expression pattern/);
    invalid(ar({ SourceIdentity: 'aws:alice' }), "Value 'aws:alice' at 'sourceIdentity' failed to satisfy constraint: Member must not start with the reserved prefix aws:");
    invalid(ar({ SourceIdentity: 'AWS:alice' }), /reserved prefix aws:/);
    expect(parseAssumeRoleInput({ ...AR, SourceIdentity: 'aws-alice' }).SourceIdentity).toBe('aws-alice');
  });
});

describe('SerialNumber and TokenCode', () => {
  const SERIAL = 'GAHT12345678';

  it('SerialNumber: 9-256 characters of [\\w+=/:,.@-]', () => {
    for (const parse of [gst, ar]) {
      expect(parse({ SerialNumber: 's'.repeat(9), TokenCode: '123456' })()).toMatchObject({ SerialNumber: 's'.repeat(9) });
      invalid(parse({ SerialNumber: 's'.repeat(8), TokenCode: '123456' }), /at 'serialNumber'.*greater than or equal to 9/);
      expect(parse({ SerialNumber: 's'.repeat(256), TokenCode: '123456' })()).toMatchObject({ SerialNumber: 's'.repeat(256) });
      invalid(parse({ SerialNumber: 's'.repeat(257), TokenCode: '123456' }), /at 'serialNumber'.*less than or equal to 256/);
      expect(parse({ SerialNumber: `arn:aws:iam::${ACCT}:mfa/path/alice`, TokenCode: '123456' })()).toMatchObject({ SerialNumber: `arn:aws:iam::${ACCT}:mfa/path/alice` });
      invalid(parse({ SerialNumber: 'serial number', TokenCode: '123456' }), /at 'serialNumber'.*regular expression pattern: \[\\w\+=\/:,\.@-\]\*/);
    }
  });

  it('TokenCode: exactly 6 digits, never echoed', () => {
    expect(parseGetSessionTokenInput({ SerialNumber: SERIAL, TokenCode: '000000' }).TokenCode).toBe('000000');
    const cases: Array<[string, RegExp]> = [
      ['98765', /greater than or equal to 6/],
      ['9876543', /less than or equal to 6/],
      ['98765a', /regular expression pattern: \[\\d\]\*/],
      ['', /greater than or equal to 6/],
    ];
    for (const [code, re] of cases) {
      for (const parse of [gst, ar]) {
        const msg = invalid(parse({ SerialNumber: SERIAL, TokenCode: code }), re);
        expect(msg).toContain("Value '<redacted>' at 'tokenCode'");
        if (code) expect(msg).not.toContain(code);
      }
    }
    const numeric = invalid(gst({ SerialNumber: SERIAL, TokenCode: 987654 }), /Value of type number at 'tokenCode'.*must be a string/);
    expect(numeric).not.toContain('987654');
  });

  it('each needs the other', () => {
    invalid(gst({ SerialNumber: SERIAL }), 'TokenCode is required when SerialNumber is provided.');
    const msg = invalid(gst({ TokenCode: '246813' }), 'SerialNumber is required when TokenCode is provided.');
    expect(msg).not.toContain('246813');
    invalid(ar({ SerialNumber: SERIAL }), /TokenCode is required/);
    invalid(ar({ TokenCode: '246813' }), /SerialNumber is required/);
    // A null counts as absent.
    invalid(gst({ SerialNumber: SERIAL, TokenCode: null }), /TokenCode is required/);
  });
});

describe('WebIdentityToken', () => {
  it('4-20000 characters, required, never echoed', () => {
    expect(parseAssumeRoleWithWebIdentityInput({ ...WI, WebIdentityToken: 'abcd' }).WebIdentityToken).toBe('abcd');
    expect(parseAssumeRoleWithWebIdentityInput({ ...WI, WebIdentityToken: 't'.repeat(20_000) }).WebIdentityToken).toHaveLength(20_000);
    const short = invalid(wi({ WebIdentityToken: 'abc' }), "1 validation error detected: Value '<redacted>' at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4");
    expect(short).not.toContain("'abc'");
    const secret = `eyJSECRET.${'x'.repeat(20_000)}`;
    const long = invalid(wi({ WebIdentityToken: secret }), /at 'webIdentityToken'.*less than or equal to 20000/);
    expect(long).not.toContain('eyJSECRET');
    invalid(() => parseAssumeRoleWithWebIdentityInput({ RoleArn: ROLE, RoleSessionName: 'ok' }), "Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null");
  });

  it('is not echoed when other parameters are invalid', () => {
    const msg = invalid(wi({ WebIdentityToken: 'eyJSECRETTOKEN', RoleSessionName: 'x' }));
    expect(msg).not.toContain('SECRETTOKEN');
  });
});

describe('resolveDuration', () => {
  const role = { min: 900, max: 7200, default: 3600, maxReason: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' };

  it('uses the default when absent', () => {
    expect(resolveDuration(undefined, role)).toBe(3600);
    expect(resolveDuration(undefined, { min: 900, max: 129_600, default: 43_200 })).toBe(43_200);
    // A default above the maximum is capped.
    expect(resolveDuration(undefined, { min: 900, max: 1800, default: 3600 })).toBe(1800);
  });

  it('accepts the bounds and refuses one past them', () => {
    expect(resolveDuration(900, role)).toBe(900);
    expect(resolveDuration(7200, role)).toBe(7200);
    invalid(() => resolveDuration(899, role), "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
    const over = thrown(() => resolveDuration(7201, role));
    expect(over.code).toBe(ErrorCode.ValidationError);
    expect(over.message).toBe('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  });

  it('uses the constraint wording without a reason', () => {
    invalid(() => resolveDuration(129_601, { min: 900, max: 129_600, default: 43_200 }), "Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600");
  });

  it('refuses a non-integer', () => {
    invalid(() => resolveDuration(1000.5, role), /Member must be an integer/);
    invalid(() => resolveDuration(Number.NaN, role), /Member must be an integer/);
  });
});

describe('packedPolicySize', () => {
  it('is 0 without policy, ARNs or tags', () => {
    expect(packedPolicySize({ PolicyArns: [] })).toBe(0);
    expect(packedPolicySize({ PolicyArns: [], Tags: [] })).toBe(0);
  });

  it('counts the policy without whitespace, rounded up', () => {
    const compact = POLICY;
    const pretty = JSON.stringify(JSON.parse(POLICY), null, 4);
    expect(pretty.length).toBeGreaterThan(compact.length);
    const expected = Math.ceil((100 * compact.length) / 2048);
    expect(packedPolicySize({ Policy: compact, PolicyArns: [] })).toBe(expected);
    expect(packedPolicySize({ Policy: pretty, PolicyArns: [] })).toBe(expected);
    // Any non-empty content is at least 1%.
    expect(packedPolicySize({ PolicyArns: [], Tags: [{ Key: 'a', Value: '' }] })).toBe(1);
  });

  it('adds policy ARNs and tag keys and values', () => {
    const n = POLICY.length + READ_ONLY.length + CUSTOMER.length + 'team'.length + 'payments'.length;
    expect(packedPolicySize({ Policy: POLICY, PolicyArns: [READ_ONLY, CUSTOMER], Tags: [{ Key: 'team', Value: 'payments' }] })).toBe(Math.ceil((100 * n) / 2048));
  });

  it('allows exactly 100% and refuses more with PackedPolicyTooLarge', () => {
    // 5 × (128 + 256) + 128 = 2048 characters.
    const full: SessionTag[] = [...Array.from({ length: 5 }, (_, i) => ({ Key: `${i}`.padEnd(128, 'k'), Value: 'v'.repeat(256) })), { Key: 'z'.repeat(128), Value: '' }];
    expect(packedPolicySize({ PolicyArns: [], Tags: full })).toBe(100);
    const over = thrown(() => packedPolicySize({ PolicyArns: [], Tags: [...full, { Key: 'y', Value: '' }] }));
    expect(over.code).toBe(ErrorCode.PackedPolicyTooLarge);
    expect(over.message).toBe('Packed policy consumes 101% of allotted space, please use smaller policy for this operation.');
  });

  it('a valid request can still be too large once packed', () => {
    // Each parameter is within its own limit, together they exceed the allowance.
    const input = parseAssumeRoleInput({
      ...AR,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'b'.repeat(1800)}/*` }] }),
      PolicyArns: Array.from({ length: 10 }, (_, i) => `arn:aws:iam::aws:policy/${'P'.repeat(60)}${i}`),
      Tags: tags(20, 'key-'),
    });
    const e = thrown(() => packedPolicySize(input));
    expect(e.code).toBe(ErrorCode.PackedPolicyTooLarge);
    expect(e.message).toMatch(/^Packed policy consumes \d+% of allotted space, please use smaller policy for this operation\.$/);
  });
});
