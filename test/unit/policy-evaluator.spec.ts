import { describe, it, expect } from 'vitest';
import { parsePolicyDocument, type PolicyDocument } from '../../src/common/policy/policy-document.js';
import {
  evaluatePolicies,
  isAllowed,
  patternCacheSize,
  type ConditionValue,
  type RequestContext,
} from '../../src/common/policy/policy-evaluator.js';

const ACCT = '111122223333';
const OTHER = '444455556666';
const ALICE = `arn:aws:iam::${ACCT}:user/alice`;
const BOB = `arn:aws:iam::${ACCT}:user/bob`;

type Stmt = Record<string, unknown>;

function policy(statements: Stmt | Stmt[], version: string | null = '2012-10-17'): PolicyDocument {
  const doc: Record<string, unknown> = { Statement: statements };
  if (version) doc.Version = version;
  return parsePolicyDocument(JSON.stringify(doc));
}

function trust(statements: Stmt | Stmt[]): PolicyDocument {
  return parsePolicyDocument({ Version: '2012-10-17', Statement: statements }, { kind: 'trust' });
}

function ctx(action: string, resource: string, keys: Record<string, ConditionValue> = {}, principal?: RequestContext['principal']): RequestContext {
  return { action, resource, keys, principal };
}

const allowAll = policy({ Effect: 'Allow', Action: '*', Resource: '*' });

/** Allow iam:GetUser on * under a single condition; evaluate with the given keys. */
function cond(operator: string, key: string, values: unknown, keys: Record<string, ConditionValue>, effect = 'Allow'): boolean {
  const p = policy({ Effect: effect, Action: 'iam:GetUser', Resource: '*', Condition: { [operator]: { [key]: values } } });
  const decision = evaluatePolicies([p], ctx('iam:GetUser', ALICE, keys));
  return effect === 'Allow' ? decision === 'Allow' : decision === 'ExplicitDeny';
}

describe('basic decisions', () => {
  it('denies by default', () => {
    expect(evaluatePolicies([], ctx('iam:GetUser', ALICE))).toBe('ImplicitDeny');
    expect(isAllowed([], ctx('iam:GetUser', ALICE))).toBe(false);
    const p = policy({ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' });
    expect(evaluatePolicies([p], ctx('iam:GetUser', ALICE))).toBe('ImplicitDeny');
  });

  it('allows when a statement matches', () => {
    expect(evaluatePolicies([allowAll], ctx('iam:GetUser', ALICE))).toBe('Allow');
    expect(isAllowed([allowAll], ctx('iam:GetUser', ALICE))).toBe(true);
  });

  it('explicit deny wins over allow, in the same or another policy, in any order', () => {
    const deny = policy({ Effect: 'Deny', Action: 'iam:DeleteUser', Resource: '*' });
    expect(evaluatePolicies([allowAll, deny], ctx('iam:DeleteUser', ALICE))).toBe('ExplicitDeny');
    expect(evaluatePolicies([deny, allowAll], ctx('iam:DeleteUser', ALICE))).toBe('ExplicitDeny');
    expect(evaluatePolicies([deny, allowAll], ctx('iam:GetUser', ALICE))).toBe('Allow');
    const both = policy([
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'iam:*', Resource: BOB },
    ]);
    expect(evaluatePolicies([both], ctx('iam:GetUser', BOB))).toBe('ExplicitDeny');
    expect(evaluatePolicies([both], ctx('iam:GetUser', ALICE))).toBe('Allow');
    expect(isAllowed([both], ctx('iam:GetUser', BOB))).toBe(false);
  });

  it('a deny alone gives ExplicitDeny only when it matches', () => {
    const deny = policy({ Effect: 'Deny', Action: 'iam:DeleteUser', Resource: '*' });
    expect(evaluatePolicies([deny], ctx('iam:DeleteUser', ALICE))).toBe('ExplicitDeny');
    expect(evaluatePolicies([deny], ctx('iam:GetUser', ALICE))).toBe('ImplicitDeny');
  });

  it('matches any action in an Action list and any resource in a Resource list', () => {
    const p = policy({ Effect: 'Allow', Action: ['iam:GetUser', 'iam:ListUsers'], Resource: [ALICE, BOB] });
    expect(evaluatePolicies([p], ctx('iam:ListUsers', BOB))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/carol`))).toBe('ImplicitDeny');
  });
});

describe('action matching', () => {
  it('is case-insensitive for service prefix and action name', () => {
    const p = policy({ Effect: 'Allow', Action: 'IAM:getuser', Resource: '*' });
    expect(evaluatePolicies([p], ctx('iam:GetUser', ALICE))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('Iam:GETUSER', ALICE))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('sts:GetUser', ALICE))).toBe('ImplicitDeny');
  });

  it('supports * and ? wildcards', () => {
    const star = policy({ Effect: 'Allow', Action: 'iam:Get*', Resource: '*' });
    expect(evaluatePolicies([star], ctx('iam:GetUser', ALICE))).toBe('Allow');
    expect(evaluatePolicies([star], ctx('iam:getaccesskeylastused', ALICE))).toBe('Allow');
    expect(evaluatePolicies([star], ctx('iam:ListUsers', ALICE))).toBe('ImplicitDeny');
    expect(evaluatePolicies([star], ctx('sts:GetCallerIdentity', ALICE))).toBe('ImplicitDeny');

    const svc = policy({ Effect: 'Allow', Action: 'iam:*', Resource: '*' });
    expect(evaluatePolicies([svc], ctx('iam:CreateUser', ALICE))).toBe('Allow');
    expect(evaluatePolicies([svc], ctx('sts:AssumeRole', ALICE))).toBe('ImplicitDeny');

    const q = policy({ Effect: 'Allow', Action: 'iam:?etUser', Resource: '*' });
    expect(evaluatePolicies([q], ctx('iam:GetUser', ALICE))).toBe('Allow');
    expect(evaluatePolicies([q], ctx('iam:SetUser', ALICE))).toBe('Allow');
    expect(evaluatePolicies([q], ctx('iam:GGetUser', ALICE))).toBe('ImplicitDeny');
    expect(evaluatePolicies([q], ctx('iam:etUser', ALICE))).toBe('ImplicitDeny');

    const mid = policy({ Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: '*' });
    expect(evaluatePolicies([mid], ctx('iam:CreateAccessKey', ALICE))).toBe('Allow');
    expect(evaluatePolicies([mid], ctx('iam:ListAccessKeys', ALICE))).toBe('Allow');
    expect(evaluatePolicies([mid], ctx('iam:ListUsers', ALICE))).toBe('ImplicitDeny');
  });

  it('does not treat regex metacharacters specially', () => {
    const p = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: `arn:aws:iam::${ACCT}:user/a.b` });
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/a.b`))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/aXb`))).toBe('ImplicitDeny');
  });

  it('NotAction applies to every action except the listed ones', () => {
    const p = policy({ Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' });
    expect(evaluatePolicies([p], ctx('sts:GetCallerIdentity', ALICE))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('iam:CreateUser', ALICE))).toBe('ImplicitDeny');

    const deny = policy({ Effect: 'Deny', NotAction: ['iam:ChangePassword', 'iam:GetAccountPasswordPolicy'], Resource: '*' });
    expect(evaluatePolicies([allowAll, deny], ctx('iam:CreateUser', ALICE))).toBe('ExplicitDeny');
    expect(evaluatePolicies([allowAll, deny], ctx('iam:changepassword', ALICE))).toBe('Allow');
  });
});

describe('resource matching', () => {
  it('is case-sensitive', () => {
    const p = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: ALICE });
    expect(evaluatePolicies([p], ctx('iam:GetUser', ALICE))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/Alice`))).toBe('ImplicitDeny');
  });

  it('supports * and ? wildcards', () => {
    const p = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: `arn:aws:iam::${ACCT}:user/dev/*` });
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/dev/alice`))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/dev/team/alice`))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/alice`))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${OTHER}:user/dev/alice`))).toBe('ImplicitDeny');

    const q = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: `arn:aws:iam::${ACCT}:user/b?b` });
    expect(evaluatePolicies([q], ctx('iam:GetUser', BOB))).toBe('Allow');
    expect(evaluatePolicies([q], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/bb`))).toBe('ImplicitDeny');
    expect(evaluatePolicies([q], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/boob`))).toBe('ImplicitDeny');

    const any = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' });
    expect(evaluatePolicies([any], ctx('iam:GetUser', '*'))).toBe('Allow');
  });

  it('keeps a mid-segment wildcard inside its ARN segment', () => {
    const acct = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: 'arn:aws:iam::*:user/alice' });
    expect(evaluatePolicies([acct], ctx('iam:GetUser', ALICE))).toBe('Allow');
    expect(evaluatePolicies([acct], ctx('iam:GetUser', `arn:aws:iam::${OTHER}:user/alice`))).toBe('Allow');
    expect(evaluatePolicies([acct], ctx('iam:GetUser', BOB))).toBe('ImplicitDeny');

    const mid = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: 'arn:aws:iam::1*3:user/alice' });
    expect(evaluatePolicies([mid], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/alice`))).toBe('Allow');
    // a mid-segment '*' must not swallow the ':' separators
    expect(evaluatePolicies([mid], ctx('iam:GetUser', 'arn:aws:iam::1:x:3:user/alice'))).toBe('ImplicitDeny');

    const tail = policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' });
    expect(evaluatePolicies([tail], ctx('s3:GetObject', 'arn:aws:s3:::bucket/key:with:colons'))).toBe('Allow');
  });

  it('NotResource applies to every resource except the listed ones', () => {
    const p = policy({ Effect: 'Allow', Action: 'iam:GetUser', NotResource: `arn:aws:iam::${ACCT}:user/admin*` });
    expect(evaluatePolicies([p], ctx('iam:GetUser', ALICE))).toBe('Allow');
    expect(evaluatePolicies([p], ctx('iam:GetUser', `arn:aws:iam::${ACCT}:user/admin-root`))).toBe('ImplicitDeny');

    const deny = policy({ Effect: 'Deny', Action: '*', NotResource: [ALICE] });
    expect(evaluatePolicies([allowAll, deny], ctx('iam:GetUser', BOB))).toBe('ExplicitDeny');
    expect(evaluatePolicies([allowAll, deny], ctx('iam:GetUser', ALICE))).toBe('Allow');
  });
});

describe('policy variables', () => {
  const manageOwn = policy([
    {
      Sid: 'ManageOwnCredentials',
      Effect: 'Allow',
      Action: ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys', 'iam:ChangePassword'],
      Resource: 'arn:aws:iam::*:user/${aws:username}',
    },
  ]);

  it('"manage own credentials": alice may act on her own user, not on bob', () => {
    const keys = { 'aws:username': 'alice', 'aws:userid': 'AIDAEXAMPLE' };
    expect(isAllowed([manageOwn], ctx('iam:CreateAccessKey', ALICE, keys))).toBe(true);
    expect(isAllowed([manageOwn], ctx('iam:CreateAccessKey', BOB, keys))).toBe(false);
    expect(isAllowed([manageOwn], ctx('iam:DeleteUser', ALICE, keys))).toBe(false);
    // bob on his own
    expect(isAllowed([manageOwn], ctx('iam:ListAccessKeys', BOB, { 'aws:username': 'bob' }))).toBe(true);
  });

  it('looks variable keys up case-insensitively', () => {
    expect(isAllowed([manageOwn], ctx('iam:CreateAccessKey', ALICE, { 'AWS:UserName': 'alice' }))).toBe(true);
  });

  it('a missing variable key makes the resource not match', () => {
    expect(isAllowed([manageOwn], ctx('iam:CreateAccessKey', ALICE, {}))).toBe(false);
    // a multi-valued key cannot be used as a variable
    expect(isAllowed([manageOwn], ctx('iam:CreateAccessKey', ALICE, { 'aws:username': ['alice'] }))).toBe(false);
    const deny = policy({ Effect: 'Deny', Action: '*', Resource: 'arn:aws:iam::*:user/${aws:username}' });
    expect(evaluatePolicies([allowAll, deny], ctx('iam:GetUser', ALICE, {}))).toBe('Allow');
  });

  it('substituted values are literal, not wildcards', () => {
    const keys = { 'aws:username': '*' };
    expect(isAllowed([manageOwn], ctx('iam:CreateAccessKey', ALICE, keys))).toBe(false);
    expect(isAllowed([manageOwn], ctx('iam:CreateAccessKey', 'arn:aws:iam::1:user/*', keys))).toBe(true);
  });

  it('supports ${aws:userid}, ${aws:PrincipalAccount} and arbitrary keys', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: [
        'arn:aws:s3:::home/${aws:userid}/*',
        'arn:aws:s3:::acct-${aws:PrincipalAccount}/*',
        'arn:aws:s3:::team/${aws:PrincipalTag/team}/*',
      ],
    });
    const keys = { 'aws:userid': 'AIDA123', 'aws:PrincipalAccount': ACCT, 'aws:PrincipalTag/team': 'blue' };
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::home/AIDA123/x', keys))).toBe(true);
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::home/AIDA999/x', keys))).toBe(false);
    expect(isAllowed([p], ctx('s3:GetObject', `arn:aws:s3:::acct-${ACCT}/x`, keys))).toBe(true);
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::team/blue/x', keys))).toBe(true);
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::team/red/x', keys))).toBe(false);
  });

  it('supports the ${*} ${?} ${$} escapes', () => {
    const p = policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${*}${?}${$}x' });
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::b/*?$x'))).toBe(true);
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::b/aa$x'))).toBe(false);
  });

  it('supports default values', () => {
    const p = policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: "arn:aws:s3:::t/${aws:PrincipalTag/team, 'shared'}/*" });
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::t/shared/x'))).toBe(true);
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::t/blue/x', { 'aws:PrincipalTag/team': 'blue' }))).toBe(true);
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::t/shared/x', { 'aws:PrincipalTag/team': 'blue' }))).toBe(false);
  });

  it('are literal text in 2008-10-17 (or versionless) policies', () => {
    for (const version of ['2008-10-17', null]) {
      const p = policy({ Effect: 'Allow', Action: 'iam:*', Resource: 'arn:aws:iam::*:user/${aws:username}' }, version);
      expect(isAllowed([p], ctx('iam:GetUser', ALICE, { 'aws:username': 'alice' }))).toBe(false);
      expect(isAllowed([p], ctx('iam:GetUser', 'arn:aws:iam::1:user/${aws:username}', { 'aws:username': 'alice' }))).toBe(true);
    }
  });

  it('are substituted in String and Arn condition values', () => {
    expect(cond('StringEquals', 's3:prefix', 'home/${aws:username}', { 's3:prefix': 'home/alice', 'aws:username': 'alice' })).toBe(true);
    expect(cond('StringEquals', 's3:prefix', 'home/${aws:username}', { 's3:prefix': 'home/bob', 'aws:username': 'alice' })).toBe(false);
    expect(cond('StringLike', 's3:prefix', 'home/${aws:username}/*', { 's3:prefix': 'home/alice/docs', 'aws:username': 'alice' })).toBe(true);
    expect(cond('StringLike', 's3:prefix', 'home/${aws:username}/*', { 's3:prefix': 'home/bob/docs', 'aws:username': 'alice' })).toBe(false);
    expect(cond('ArnEquals', 'aws:PrincipalArn', 'arn:aws:iam::${aws:PrincipalAccount}:user/alice', { 'aws:PrincipalArn': ALICE, 'aws:PrincipalAccount': ACCT })).toBe(true);
    // missing variable: the value does not match
    expect(cond('StringEquals', 's3:prefix', 'home/${aws:username}', { 's3:prefix': 'home/' })).toBe(false);
    // ...so a negated operator is satisfied
    expect(cond('StringNotEquals', 's3:prefix', 'home/${aws:username}', { 's3:prefix': 'home/' })).toBe(true);
    // the substituted value is literal in StringLike
    expect(cond('StringLike', 's3:prefix', 'home/${aws:username}', { 's3:prefix': 'home/alice', 'aws:username': '*' })).toBe(false);
  });
});

describe('condition operators: strings', () => {
  it('StringEquals / StringNotEquals are case-sensitive and literal', () => {
    expect(cond('StringEquals', 'aws:username', 'alice', { 'aws:username': 'alice' })).toBe(true);
    expect(cond('StringEquals', 'aws:username', 'alice', { 'aws:username': 'Alice' })).toBe(false);
    expect(cond('StringEquals', 'aws:username', 'al*', { 'aws:username': 'alice' })).toBe(false);
    expect(cond('StringEquals', 'aws:username', 'al*', { 'aws:username': 'al*' })).toBe(true);
    expect(cond('StringNotEquals', 'aws:username', 'alice', { 'aws:username': 'bob' })).toBe(true);
    expect(cond('StringNotEquals', 'aws:username', 'alice', { 'aws:username': 'alice' })).toBe(false);
    expect(cond('StringNotEquals', 'aws:username', 'alice', { 'aws:username': 'ALICE' })).toBe(true);
  });

  it('multiple values are ORed (NOR for negated operators)', () => {
    expect(cond('StringEquals', 'aws:username', ['alice', 'bob'], { 'aws:username': 'bob' })).toBe(true);
    expect(cond('StringEquals', 'aws:username', ['alice', 'bob'], { 'aws:username': 'carol' })).toBe(false);
    expect(cond('StringNotEquals', 'aws:username', ['alice', 'bob'], { 'aws:username': 'bob' })).toBe(false);
    expect(cond('StringNotEquals', 'aws:username', ['alice', 'bob'], { 'aws:username': 'carol' })).toBe(true);
  });

  it('IgnoreCase variants', () => {
    expect(cond('StringEqualsIgnoreCase', 'aws:username', 'ALICE', { 'aws:username': 'alice' })).toBe(true);
    expect(cond('StringEqualsIgnoreCase', 'aws:username', 'ALICE', { 'aws:username': 'bob' })).toBe(false);
    expect(cond('StringNotEqualsIgnoreCase', 'aws:username', 'ALICE', { 'aws:username': 'alice' })).toBe(false);
    expect(cond('StringNotEqualsIgnoreCase', 'aws:username', 'ALICE', { 'aws:username': 'bob' })).toBe(true);
  });

  it('StringLike / StringNotLike support * and ? over the whole string', () => {
    expect(cond('StringLike', 'token.actions.githubusercontent.com:sub', 'repo:acme/*:ref:refs/heads/main', { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' })).toBe(true);
    expect(cond('StringLike', 'token.actions.githubusercontent.com:sub', 'repo:acme/*:ref:refs/heads/main', { 'token.actions.githubusercontent.com:sub': 'repo:evil/app:ref:refs/heads/main' })).toBe(false);
    expect(cond('StringLike', 'k', 'a?c', { k: 'abc' })).toBe(true);
    expect(cond('StringLike', 'k', 'a?c', { k: 'ac' })).toBe(false);
    expect(cond('StringLike', 'k', 'a*', { k: 'A' })).toBe(false);
    expect(cond('StringLike', 'k', '*', { k: '' })).toBe(true);
    expect(cond('StringLike', 'k', 'a*', { k: 'a\nb' })).toBe(true);
    expect(cond('StringNotLike', 'k', ['a*', 'b*'], { k: 'carol' })).toBe(true);
    expect(cond('StringNotLike', 'k', ['a*', 'b*'], { k: 'bob' })).toBe(false);
  });

  it('compares non-string request values by their string form', () => {
    expect(cond('StringEquals', 'k', 'true', { k: true })).toBe(true);
    expect(cond('StringEquals', 'k', '42', { k: 42 })).toBe(true);
    expect(cond('StringEquals', 'k', 42, { k: '42' })).toBe(true);
  });

  it('condition keys are case-insensitive', () => {
    expect(cond('StringEquals', 'AWS:UserName', 'alice', { 'aws:username': 'alice' })).toBe(true);
    expect(cond('StringEquals', 'aws:username', 'alice', { 'Aws:UserName': 'alice' })).toBe(true);
  });
});

describe('condition operators: ARNs', () => {
  it('ArnEquals / ArnLike compare segment-wise with wildcards', () => {
    const keys = { 'aws:PrincipalArn': ALICE };
    expect(cond('ArnEquals', 'aws:PrincipalArn', ALICE, keys)).toBe(true);
    expect(cond('ArnEquals', 'aws:PrincipalArn', BOB, keys)).toBe(false);
    expect(cond('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::*:user/*', keys)).toBe(true);
    expect(cond('ArnLike', 'aws:PrincipalArn', `arn:aws:iam::${ACCT}:role/*`, keys)).toBe(false);
    expect(cond('ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::*:user/al?ce', keys)).toBe(true);
    expect(cond('ArnLike', 'aws:PrincipalArn', `arn:aws:iam::${ACCT}:user/ALICE`, keys)).toBe(false);
    expect(cond('ArnNotEquals', 'aws:PrincipalArn', BOB, keys)).toBe(true);
    expect(cond('ArnNotEquals', 'aws:PrincipalArn', ALICE, keys)).toBe(false);
    expect(cond('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/*', keys)).toBe(true);
    expect(cond('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:user/*', keys)).toBe(false);
  });

  it('a non-ARN request value never satisfies an Allow and fails closed for a Deny', () => {
    expect(cond('ArnLike', 'aws:SourceArn', '*', { 'aws:SourceArn': 'not-an-arn' })).toBe(false);
    expect(cond('ArnNotLike', 'aws:SourceArn', 'arn:aws:iam::*:role/*', { 'aws:SourceArn': 'not-an-arn' })).toBe(false);
    expect(cond('ArnNotLike', 'aws:SourceArn', 'arn:aws:iam::*:role/*', { 'aws:SourceArn': 'not-an-arn' }, 'Deny')).toBe(true);
  });
});

describe('condition operators: Bool and Null', () => {
  it('Bool accepts booleans and "true"/"false" strings on both sides', () => {
    expect(cond('Bool', 'aws:MultiFactorAuthPresent', 'true', { 'aws:MultiFactorAuthPresent': true })).toBe(true);
    expect(cond('Bool', 'aws:MultiFactorAuthPresent', true, { 'aws:MultiFactorAuthPresent': 'true' })).toBe(true);
    expect(cond('Bool', 'aws:MultiFactorAuthPresent', 'TRUE', { 'aws:MultiFactorAuthPresent': 'True' })).toBe(true);
    expect(cond('Bool', 'aws:MultiFactorAuthPresent', 'true', { 'aws:MultiFactorAuthPresent': false })).toBe(false);
    expect(cond('Bool', 'aws:MultiFactorAuthPresent', 'false', { 'aws:MultiFactorAuthPresent': false })).toBe(true);
    expect(cond('Bool', 'aws:MultiFactorAuthPresent', 'true', {})).toBe(false);
    expect(cond('Bool', 'aws:MultiFactorAuthPresent', 'true', { 'aws:MultiFactorAuthPresent': 'yes' })).toBe(false);
  });

  it('the classic "deny without MFA" uses BoolIfExists', () => {
    const p = policy([
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'iam:*', Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } },
    ]);
    expect(evaluatePolicies([p], ctx('iam:GetUser', ALICE, {}))).toBe('ExplicitDeny');
    expect(evaluatePolicies([p], ctx('iam:GetUser', ALICE, { 'aws:MultiFactorAuthPresent': false }))).toBe('ExplicitDeny');
    expect(evaluatePolicies([p], ctx('iam:GetUser', ALICE, { 'aws:MultiFactorAuthPresent': true }))).toBe('Allow');
  });

  it('Null tests whether a key is absent', () => {
    expect(cond('Null', 'aws:TokenIssueTime', 'true', {})).toBe(true);
    expect(cond('Null', 'aws:TokenIssueTime', 'true', { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' })).toBe(false);
    expect(cond('Null', 'aws:TokenIssueTime', false, { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' })).toBe(true);
    expect(cond('Null', 'aws:TokenIssueTime', 'false', {})).toBe(false);
    expect(cond('Null', 'aws:TagKeys', 'true', { 'aws:TagKeys': [] })).toBe(true);
    expect(cond('Null', 'aws:username', 'false', { 'AWS:USERNAME': 'x' })).toBe(true);
  });
});

describe('condition operators: numeric', () => {
  const age = (n: ConditionValue) => ({ 'aws:MultiFactorAuthAge': n });
  it('compares numbers and numeric strings', () => {
    expect(cond('NumericEquals', 'aws:MultiFactorAuthAge', '10', age(10))).toBe(true);
    expect(cond('NumericEquals', 'aws:MultiFactorAuthAge', 10, age('10.0'))).toBe(true);
    expect(cond('NumericEquals', 'aws:MultiFactorAuthAge', '10', age(11))).toBe(false);
    expect(cond('NumericNotEquals', 'aws:MultiFactorAuthAge', '10', age(11))).toBe(true);
    expect(cond('NumericNotEquals', 'aws:MultiFactorAuthAge', '10', age(10))).toBe(false);
    expect(cond('NumericLessThan', 'aws:MultiFactorAuthAge', '3600', age(3599))).toBe(true);
    expect(cond('NumericLessThan', 'aws:MultiFactorAuthAge', '3600', age(3600))).toBe(false);
    expect(cond('NumericLessThanEquals', 'aws:MultiFactorAuthAge', '3600', age(3600))).toBe(true);
    expect(cond('NumericLessThanEquals', 'aws:MultiFactorAuthAge', '3600', age(3601))).toBe(false);
    expect(cond('NumericGreaterThan', 'aws:MultiFactorAuthAge', '3600', age(3601))).toBe(true);
    expect(cond('NumericGreaterThan', 'aws:MultiFactorAuthAge', '3600', age(3600))).toBe(false);
    expect(cond('NumericGreaterThanEquals', 'aws:MultiFactorAuthAge', '3600', age(3600))).toBe(true);
    expect(cond('NumericGreaterThanEquals', 'aws:MultiFactorAuthAge', '3600', age(-1))).toBe(false);
    expect(cond('NumericLessThan', 'k', '1.5', { k: '1.25' })).toBe(true);
  });

  it('a missing key fails positive operators and satisfies negated ones', () => {
    expect(cond('NumericLessThan', 'aws:MultiFactorAuthAge', '3600', {})).toBe(false);
    expect(cond('NumericNotEquals', 'aws:MultiFactorAuthAge', '3600', {})).toBe(true);
    expect(cond('NumericLessThanIfExists', 'aws:MultiFactorAuthAge', '3600', {})).toBe(true);
    expect(cond('NumericLessThanIfExists', 'aws:MultiFactorAuthAge', '3600', age(7200))).toBe(false);
  });

  it('a non-numeric request value never satisfies an Allow and fails closed for a Deny', () => {
    expect(cond('NumericLessThan', 'k', '10', { k: 'abc' })).toBe(false);
    expect(cond('NumericNotEquals', 'k', '10', { k: 'abc' })).toBe(false);
    expect(cond('NumericGreaterThan', 'k', '10', { k: 'abc' }, 'Deny')).toBe(true);
    expect(cond('NumericLessThan', 'k', '10', { k: true })).toBe(false);
    expect(cond('NumericLessThan', 'k', '10', { k: '' })).toBe(false);
  });
});

describe('condition operators: dates', () => {
  const now = (v: ConditionValue) => ({ 'aws:CurrentTime': v });
  it('compares ISO 8601 dates', () => {
    expect(cond('DateLessThan', 'aws:CurrentTime', '2030-01-01T00:00:00Z', now('2029-12-31T23:59:59Z'))).toBe(true);
    expect(cond('DateLessThan', 'aws:CurrentTime', '2030-01-01T00:00:00Z', now('2030-01-01T00:00:00Z'))).toBe(false);
    expect(cond('DateLessThanEquals', 'aws:CurrentTime', '2030-01-01T00:00:00Z', now('2030-01-01T00:00:00Z'))).toBe(true);
    expect(cond('DateGreaterThan', 'aws:CurrentTime', '2020-01-01', now('2020-01-01T00:00:01Z'))).toBe(true);
    expect(cond('DateGreaterThan', 'aws:CurrentTime', '2020-01-01', now('2020-01-01T00:00:00Z'))).toBe(false);
    expect(cond('DateGreaterThanEquals', 'aws:CurrentTime', '2020-01-01T00:00:00Z', now('2020-01-01T00:00:00.000Z'))).toBe(true);
    expect(cond('DateEquals', 'aws:CurrentTime', '2020-01-01T01:00:00+01:00', now('2020-01-01T00:00:00Z'))).toBe(true);
    expect(cond('DateNotEquals', 'aws:CurrentTime', '2020-01-01T01:00:00+01:00', now('2020-01-01T00:00:00Z'))).toBe(false);
    expect(cond('DateNotEquals', 'aws:CurrentTime', '2020-01-01T00:00:00Z', now('2021-01-01T00:00:00Z'))).toBe(true);
  });

  it('treats a zone-less date-time as UTC', () => {
    expect(cond('DateEquals', 'aws:CurrentTime', '2020-06-01T12:00:00', now('2020-06-01T12:00:00Z'))).toBe(true);
  });

  it('accepts epoch seconds on either side', () => {
    expect(cond('DateGreaterThan', 'aws:EpochTime', '1577836800', { 'aws:EpochTime': 1577836801 })).toBe(true);
    expect(cond('DateGreaterThan', 'aws:EpochTime', 1577836800, { 'aws:EpochTime': '1577836800' })).toBe(false);
    expect(cond('DateEquals', 'aws:CurrentTime', 1577836800, now('2020-01-01T00:00:00Z'))).toBe(true);
  });

  it('an unparsable request date never satisfies an Allow and fails closed for a Deny', () => {
    expect(cond('DateLessThan', 'aws:CurrentTime', '2030-01-01', now('tomorrow'))).toBe(false);
    expect(cond('DateGreaterThan', 'aws:CurrentTime', '2030-01-01', now('tomorrow'), 'Deny')).toBe(true);
    expect(cond('DateLessThan', 'aws:CurrentTime', '2030-01-01', now('2020-02-30T00:00:00Z'))).toBe(false);
  });
});

describe('condition operators: IP addresses', () => {
  const ip = (v: ConditionValue) => ({ 'aws:SourceIp': v });
  it('IPv4 CIDR', () => {
    expect(cond('IpAddress', 'aws:SourceIp', '203.0.113.0/24', ip('203.0.113.77'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '203.0.113.0/24', ip('203.0.114.1'))).toBe(false);
    expect(cond('IpAddress', 'aws:SourceIp', '10.0.0.0/8', ip('10.255.255.255'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '192.0.2.5', ip('192.0.2.5'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '192.0.2.5', ip('192.0.2.6'))).toBe(false);
    expect(cond('IpAddress', 'aws:SourceIp', '0.0.0.0/0', ip('8.8.8.8'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '203.0.113.9/24', ip('203.0.113.200'))).toBe(true); // host bits ignored
    expect(cond('IpAddress', 'aws:SourceIp', ['192.0.2.0/24', '203.0.113.0/24'], ip('203.0.113.1'))).toBe(true);
    expect(cond('NotIpAddress', 'aws:SourceIp', '203.0.113.0/24', ip('198.51.100.1'))).toBe(true);
    expect(cond('NotIpAddress', 'aws:SourceIp', '203.0.113.0/24', ip('203.0.113.1'))).toBe(false);
  });

  it('IPv6 CIDR', () => {
    expect(cond('IpAddress', 'aws:SourceIp', '2001:db8::/32', ip('2001:db8:1234::1'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '2001:db8::/32', ip('2001:db9::1'))).toBe(false);
    expect(cond('IpAddress', 'aws:SourceIp', '2001:DB8:0:0:0:0:0:1/128', ip('2001:db8::1'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '::1', ip('::1'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '::/0', ip('fe80::1'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '2001:db8:abcd:12::/64', ip('2001:db8:abcd:12:ffff:ffff:ffff:ffff'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '2001:db8:abcd:12::/64', ip('2001:db8:abcd:13::'))).toBe(false);
    expect(cond('NotIpAddress', 'aws:SourceIp', '2001:db8::/32', ip('2001:db9::1'))).toBe(true);
  });

  it('does not mix families, except IPv4-mapped IPv6 addresses against IPv4 ranges', () => {
    expect(cond('IpAddress', 'aws:SourceIp', '0.0.0.0/0', ip('2001:db8::1'))).toBe(false);
    expect(cond('IpAddress', 'aws:SourceIp', '::/0', ip('10.0.0.1'))).toBe(false);
    expect(cond('IpAddress', 'aws:SourceIp', '10.0.0.0/8', ip('::ffff:10.1.2.3'))).toBe(true);
    expect(cond('IpAddress', 'aws:SourceIp', '10.0.0.0/8', ip('::ffff:11.1.2.3'))).toBe(false);
  });

  it('an invalid request IP never satisfies an Allow and fails closed for a Deny', () => {
    expect(cond('IpAddress', 'aws:SourceIp', '0.0.0.0/0', ip('not-an-ip'))).toBe(false);
    expect(cond('NotIpAddress', 'aws:SourceIp', '10.0.0.0/8', ip('999.1.1.1'))).toBe(false);
    expect(cond('NotIpAddress', 'aws:SourceIp', '10.0.0.0/8', ip('999.1.1.1'), 'Deny')).toBe(true);
    // missing key: positive false, negated true
    expect(cond('IpAddress', 'aws:SourceIp', '0.0.0.0/0', {})).toBe(false);
    expect(cond('NotIpAddress', 'aws:SourceIp', '10.0.0.0/8', {})).toBe(true);
  });
});

describe('missing keys, IfExists and set qualifiers', () => {
  it('missing key: positive operators false, negated operators true', () => {
    expect(cond('StringEquals', 'aws:username', 'alice', {})).toBe(false);
    expect(cond('StringLike', 'aws:username', '*', {})).toBe(false);
    expect(cond('StringNotEquals', 'aws:username', 'alice', {})).toBe(true);
    expect(cond('StringNotLike', 'aws:username', 'a*', {})).toBe(true);
    expect(cond('ArnNotEquals', 'aws:PrincipalArn', ALICE, {})).toBe(true);
    expect(cond('StringEquals', 'aws:username', 'alice', { 'aws:username': undefined })).toBe(false);
  });

  it('IfExists: a missing key satisfies; a present key is tested normally', () => {
    expect(cond('StringEqualsIfExists', 'ec2:InstanceType', 't3.micro', {})).toBe(true);
    expect(cond('StringEqualsIfExists', 'ec2:InstanceType', 't3.micro', { 'ec2:InstanceType': 't3.micro' })).toBe(true);
    expect(cond('StringEqualsIfExists', 'ec2:InstanceType', 't3.micro', { 'ec2:InstanceType': 'm5.large' })).toBe(false);
    expect(cond('StringNotEqualsIfExists', 'ec2:InstanceType', 't3.micro', {})).toBe(true);
    expect(cond('StringNotEqualsIfExists', 'ec2:InstanceType', 't3.micro', { 'ec2:InstanceType': 't3.micro' })).toBe(false);
  });

  it('ForAnyValue: at least one request value must match; missing or empty → false', () => {
    const tags = (v: ConditionValue) => ({ 'aws:TagKeys': v });
    expect(cond('ForAnyValue:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['owner', 'team']))).toBe(true);
    expect(cond('ForAnyValue:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['owner', 'cost']))).toBe(false);
    expect(cond('ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], tags('env'))).toBe(true);
    expect(cond('ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], {})).toBe(false);
    expect(cond('ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], tags([]))).toBe(false);
    expect(cond('ForAnyValue:StringLike', 'aws:TagKeys', ['app-*'], tags(['x', 'app-1']))).toBe(true);
    // negated: at least one value is outside the list
    expect(cond('ForAnyValue:StringNotEquals', 'aws:TagKeys', ['env', 'team'], tags(['env', 'owner']))).toBe(true);
    expect(cond('ForAnyValue:StringNotEquals', 'aws:TagKeys', ['env', 'team'], tags(['env', 'team']))).toBe(false);
    expect(cond('ForAnyValue:StringEqualsIfExists', 'aws:TagKeys', ['env'], {})).toBe(true);
  });

  it('ForAllValues: every request value must match; missing or empty → true', () => {
    const tags = (v: ConditionValue) => ({ 'aws:TagKeys': v });
    expect(cond('ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['env', 'team']))).toBe(true);
    expect(cond('ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['env']))).toBe(true);
    expect(cond('ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team'], tags(['env', 'owner']))).toBe(false);
    expect(cond('ForAllValues:StringEquals', 'aws:TagKeys', ['env'], {})).toBe(true);
    expect(cond('ForAllValues:StringEquals', 'aws:TagKeys', ['env'], tags([]))).toBe(true);
    expect(cond('ForAllValues:StringEqualsIgnoreCase', 'aws:TagKeys', ['ENV'], tags(['env', 'Env']))).toBe(true);
    // negated: no value is in the list
    expect(cond('ForAllValues:StringNotEquals', 'aws:TagKeys', ['secret'], tags(['env', 'team']))).toBe(true);
    expect(cond('ForAllValues:StringNotEquals', 'aws:TagKeys', ['secret'], tags(['env', 'secret']))).toBe(false);
    expect(cond('ForAllValues:NumericLessThan', 'k', '10', { k: ['1', '2', '3'] })).toBe(true);
    expect(cond('ForAllValues:NumericLessThan', 'k', '10', { k: ['1', '20'] })).toBe(false);
  });

  it('an unqualified operator on a multi-valued key: positive = any, negated = none', () => {
    expect(cond('StringEquals', 'aws:TagKeys', 'env', { 'aws:TagKeys': ['team', 'env'] })).toBe(true);
    expect(cond('StringNotEquals', 'aws:TagKeys', 'env', { 'aws:TagKeys': ['team', 'env'] })).toBe(false);
    expect(cond('StringNotEquals', 'aws:TagKeys', 'env', { 'aws:TagKeys': ['team', 'owner'] })).toBe(true);
  });

  it('several keys and several operators are ANDed', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Resource: '*',
      Condition: {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'aws:PrincipalAccount': ACCT },
        StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' },
      },
    });
    const good = {
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
      'aws:PrincipalAccount': ACCT,
      'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main',
    };
    const act = 'sts:AssumeRoleWithWebIdentity';
    expect(evaluatePolicies([p], ctx(act, '*', good))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(act, '*', { ...good, 'aws:PrincipalAccount': OTHER }))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(act, '*', { ...good, 'token.actions.githubusercontent.com:sub': 'repo:evil/x' }))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(act, '*', { ...good, 'token.actions.githubusercontent.com:aud': undefined }))).toBe('ImplicitDeny');
  });

  it('a condition that cannot be evaluated in an unparsed document fails closed', () => {
    const handBuilt: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['*'], Resource: ['*'], Condition: { StringEqulas: { k: ['v'] } } },
      ],
    };
    expect(evaluatePolicies([handBuilt], ctx('iam:GetUser', ALICE, { k: 'v' }))).toBe('ImplicitDeny');
    const handBuiltDeny: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { Bogus: { k: ['v'] } } }],
    };
    expect(evaluatePolicies([allowAll, handBuiltDeny], ctx('iam:GetUser', ALICE))).toBe('ExplicitDeny');
  });
});

describe('session policies (isAllowed)', () => {
  const identity = policy({ Effect: 'Allow', Action: ['iam:GetUser', 'iam:ListUsers'], Resource: '*' });
  const sessionGet = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' });

  it('allows only what both identity and session policies allow', () => {
    expect(isAllowed([identity], ctx('iam:GetUser', ALICE), [sessionGet])).toBe(true);
    // identity allows, session does not
    expect(isAllowed([identity], ctx('iam:ListUsers', ALICE), [sessionGet])).toBe(false);
    // session allows, identity does not
    expect(isAllowed([identity], ctx('iam:DeleteUser', ALICE), [allowAll])).toBe(false);
  });

  it('an empty session policy list allows nothing; undefined means no session policy', () => {
    expect(isAllowed([identity], ctx('iam:GetUser', ALICE), [])).toBe(false);
    expect(isAllowed([identity], ctx('iam:GetUser', ALICE), undefined)).toBe(true);
  });

  it('an explicit deny in a session policy denies', () => {
    const sessionDeny = policy([
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'iam:GetUser', Resource: BOB },
    ]);
    expect(isAllowed([identity], ctx('iam:GetUser', BOB), [sessionDeny])).toBe(false);
    expect(isAllowed([identity], ctx('iam:GetUser', ALICE), [sessionDeny])).toBe(true);
  });

  it('an explicit deny in an identity policy denies regardless of the session policy', () => {
    const deny = policy({ Effect: 'Deny', Action: 'iam:GetUser', Resource: '*' });
    expect(isAllowed([identity, deny], ctx('iam:GetUser', ALICE), [allowAll])).toBe(false);
  });
});

describe('trust policies: Principal / NotPrincipal', () => {
  const assume = 'sts:AssumeRole';
  const role = `arn:aws:iam::${ACCT}:role/Deploy`;
  const aws = (id: string) => ({ type: 'AWS' as const, id });

  it('"*" matches everyone, including an anonymous caller', () => {
    const p = trust({ Effect: 'Allow', Principal: '*', Action: assume });
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(ALICE)))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(assume, role, {}, { type: 'Federated', id: 'accounts.google.com' }))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(assume, role, {}))).toBe('Allow');
  });

  it('{AWS: "*"} matches any AWS principal only', () => {
    const p = trust({ Effect: 'Allow', Principal: { AWS: '*' }, Action: assume });
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(`arn:aws:iam::${OTHER}:user/x`)))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(assume, role, {}, { type: 'Service', id: 'ec2.amazonaws.com' }))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(assume, role, {}))).toBe('ImplicitDeny');
  });

  it('an account root ARN or bare account id matches any principal of that account', () => {
    for (const principal of [`arn:aws:iam::${ACCT}:root`, ACCT]) {
      const p = trust({ Effect: 'Allow', Principal: { AWS: principal }, Action: assume });
      expect(evaluatePolicies([p], ctx(assume, role, {}, aws(ALICE)))).toBe('Allow');
      expect(evaluatePolicies([p], ctx(assume, role, {}, aws(`arn:aws:sts::${ACCT}:assumed-role/Other/s1`)))).toBe('Allow');
      expect(evaluatePolicies([p], ctx(assume, role, {}, aws(ACCT)))).toBe('Allow');
      expect(evaluatePolicies([p], ctx(assume, role, {}, aws(`arn:aws:iam::${ACCT}:root`)))).toBe('Allow');
      expect(evaluatePolicies([p], ctx(assume, role, {}, aws(`arn:aws:iam::${OTHER}:user/alice`)))).toBe('ImplicitDeny');
      expect(evaluatePolicies([p], ctx(assume, role, {}, { type: 'Federated', id: ACCT }))).toBe('ImplicitDeny');
      expect(evaluatePolicies([p], ctx(assume, role, {}))).toBe('ImplicitDeny');
    }
  });

  it('an exact ARN matches only that principal (a role ARN does not match its sessions)', () => {
    const p = trust({ Effect: 'Allow', Principal: { AWS: [ALICE, role] }, Action: assume });
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(ALICE)))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(BOB)))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(`arn:aws:iam::${ACCT}:user/Alice`)))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(role)))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(`arn:aws:sts::${ACCT}:assumed-role/Deploy/session`)))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(ACCT)))).toBe('ImplicitDeny');
  });

  it('Federated and Service principals match by type and exact id', () => {
    const gh = `arn:aws:iam::${ACCT}:oidc-provider/token.actions.githubusercontent.com`;
    const p = trust({
      Effect: 'Allow',
      Principal: { Federated: gh },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } },
    });
    const act = 'sts:AssumeRoleWithWebIdentity';
    const keys = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };
    expect(evaluatePolicies([p], ctx(act, role, keys, { type: 'Federated', id: gh }))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(act, role, {}, { type: 'Federated', id: gh }))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(act, role, keys, { type: 'Federated', id: `${gh}x` }))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(act, role, keys, aws(gh)))).toBe('ImplicitDeny');

    const svc = trust({ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] }, Action: assume });
    expect(evaluatePolicies([svc], ctx(assume, role, {}, { type: 'Service', id: 'lambda.amazonaws.com' }))).toBe('Allow');
    expect(evaluatePolicies([svc], ctx(assume, role, {}, { type: 'Service', id: 'ecs.amazonaws.com' }))).toBe('ImplicitDeny');
    expect(evaluatePolicies([svc], ctx(assume, role, {}, aws('ec2.amazonaws.com')))).toBe('ImplicitDeny');
  });

  it('requires sts:ExternalId when the trust policy says so', () => {
    const p = trust({
      Effect: 'Allow',
      Principal: { AWS: OTHER },
      Action: assume,
      Condition: { StringEquals: { 'sts:ExternalId': 'abc-123' } },
    });
    const caller = aws(`arn:aws:iam::${OTHER}:user/partner`);
    expect(evaluatePolicies([p], ctx(assume, role, { 'sts:ExternalId': 'abc-123' }, caller))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(assume, role, { 'sts:ExternalId': 'nope' }, caller))).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], ctx(assume, role, {}, caller))).toBe('ImplicitDeny');
  });

  it('NotPrincipal with Deny denies everyone except the listed principals', () => {
    const p = trust([
      { Effect: 'Allow', Principal: { AWS: ACCT }, Action: assume },
      { Effect: 'Deny', NotPrincipal: { AWS: ALICE }, Action: assume },
    ]);
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(ALICE)))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(BOB)))).toBe('ExplicitDeny');
    expect(evaluatePolicies([p], ctx(assume, role, {}))).toBe('ExplicitDeny');
  });

  it('honours Resource when a trust/resource policy has one', () => {
    const p = trust({ Effect: 'Allow', Principal: '*', Action: assume, Resource: role });
    expect(evaluatePolicies([p], ctx(assume, role, {}, aws(ALICE)))).toBe('Allow');
    expect(evaluatePolicies([p], ctx(assume, `arn:aws:iam::${ACCT}:role/Other`, {}, aws(ALICE)))).toBe('ImplicitDeny');
  });

  it('ignores the caller for identity policies (no Principal element)', () => {
    expect(evaluatePolicies([allowAll], ctx('iam:GetUser', ALICE, {}))).toBe('Allow');
    expect(evaluatePolicies([allowAll], ctx('iam:GetUser', ALICE, {}, aws(BOB)))).toBe('Allow');
  });
});

describe('performance and caching', () => {
  it('reuses compiled policies and caps the pattern cache', () => {
    const p = policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' });
    for (let i = 0; i < 3000; i++) {
      const user = `user${i}`;
      expect(isAllowed([p], ctx('s3:GetObject', `arn:aws:s3:::home/${user}/f`, { 'aws:username': user }))).toBe(true);
    }
    expect(patternCacheSize()).toBeLessThanOrEqual(1024);
    // still correct after evictions
    expect(isAllowed([p], ctx('s3:GetObject', 'arn:aws:s3:::home/user1/f', { 'aws:username': 'user2' }))).toBe(false);
  });

  it('evaluates a realistic policy set quickly', () => {
    const policies = [
      policy([
        { Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
        { Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: 'arn:aws:iam::*:user/${aws:username}' },
        { Effect: 'Deny', NotAction: ['iam:ChangePassword', 'sts:GetSessionToken'], Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } },
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } } },
      ]),
    ];
    const c = ctx('iam:CreateAccessKey', ALICE, { 'aws:username': 'alice', 'aws:MultiFactorAuthPresent': true, 'aws:SourceIp': '10.1.2.3' });
    expect(isAllowed(policies, c)).toBe(true);
    const start = performance.now();
    for (let i = 0; i < 20000; i++) isAllowed(policies, c);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
