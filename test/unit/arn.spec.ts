import { describe, it, expect } from 'vitest';
import {
  PARTITION,
  assumedRoleArn,
  federatedUserArn,
  groupArn,
  mfaArn,
  oidcProviderArn,
  parseArn,
  policyArn,
  roleArn,
  rootArn,
  userArn,
} from '../../src/common/arn.js';

const A = '123456789012';

describe('arn builders', () => {
  it('builds IAM ARNs', () => {
    expect(PARTITION).toBe('aws');
    expect(rootArn(A)).toBe('arn:aws:iam::123456789012:root');
    expect(userArn(A, '/', 'alice')).toBe('arn:aws:iam::123456789012:user/alice');
    expect(userArn(A, '/division/', 'alice')).toBe('arn:aws:iam::123456789012:user/division/alice');
    expect(userArn(A, '', 'alice')).toBe('arn:aws:iam::123456789012:user/alice');
    expect(groupArn(A, '/eng/', 'Admins')).toBe('arn:aws:iam::123456789012:group/eng/Admins');
    expect(roleArn(A, '/', 'Deploy')).toBe('arn:aws:iam::123456789012:role/Deploy');
    expect(roleArn(A, '/service-role/', 'x')).toBe('arn:aws:iam::123456789012:role/service-role/x');
    expect(policyArn(A, '/', 'ReadOnly')).toBe('arn:aws:iam::123456789012:policy/ReadOnly');
    expect(policyArn('aws', '/', 'AdministratorAccess')).toBe('arn:aws:iam::aws:policy/AdministratorAccess');
    expect(policyArn('aws', '/job-function/', 'ViewOnlyAccess')).toBe(
      'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess',
    );
    expect(mfaArn(A, '/', 'alice')).toBe('arn:aws:iam::123456789012:mfa/alice');
  });

  it('builds STS and OIDC ARNs', () => {
    expect(assumedRoleArn(A, 'Deploy', 'ci-run-1')).toBe('arn:aws:sts::123456789012:assumed-role/Deploy/ci-run-1');
    expect(federatedUserArn(A, 'bob')).toBe('arn:aws:sts::123456789012:federated-user/bob');
    expect(oidcProviderArn(A, 'token.actions.githubusercontent.com')).toBe(
      'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
    );
    expect(oidcProviderArn(A, 'https://auth.example.com/tenants/1/')).toBe(
      'arn:aws:iam::123456789012:oidc-provider/auth.example.com/tenants/1',
    );
  });

  it('rejects malformed inputs', () => {
    expect(() => rootArn('12345')).toThrow();
    expect(() => userArn('aws', '/', 'x')).toThrow();
    expect(() => userArn(A, 'division', 'x')).toThrow();
    expect(() => userArn(A, '/division', 'x')).toThrow();
    expect(() => userArn(A, '/', '')).toThrow();
    expect(() => assumedRoleArn(A, '', 's')).toThrow();
    expect(() => oidcProviderArn(A, 'https://')).toThrow();
  });
});

describe('parseArn', () => {
  it('parses IAM user ARNs', () => {
    expect(parseArn('arn:aws:iam::123456789012:user/division/alice')).toEqual({
      partition: 'aws',
      service: 'iam',
      region: '',
      accountId: A,
      resource: 'user/division/alice',
      resourceType: 'user',
      resourceId: 'division/alice',
    });
  });

  it('parses root, managed policy, STS, S3 and colon resources', () => {
    const root = parseArn(rootArn(A))!;
    expect(root.resource).toBe('root');
    expect(root.resourceType).toBeUndefined();

    expect(parseArn('arn:aws:iam::aws:policy/AdministratorAccess')).toMatchObject({
      accountId: 'aws',
      resourceType: 'policy',
      resourceId: 'AdministratorAccess',
    });
    expect(parseArn(assumedRoleArn(A, 'R', 's'))).toMatchObject({
      service: 'sts',
      resourceType: 'assumed-role',
      resourceId: 'R/s',
    });
    expect(parseArn('arn:aws:s3:::my-bucket/key:with:colons')).toMatchObject({
      service: 's3',
      accountId: '',
      resource: 'my-bucket/key:with:colons',
      resourceType: 'my-bucket',
    });
    expect(parseArn('arn:aws:lambda:us-east-1:123456789012:function:my-fn')).toMatchObject({
      region: 'us-east-1',
      resource: 'function:my-fn',
      resourceType: 'function',
      resourceId: 'my-fn',
    });
    expect(parseArn('arn:aws-us-gov:iam::123456789012:root')?.partition).toBe('aws-us-gov');
  });

  it('round-trips builders', () => {
    for (const arn of [
      userArn(A, '/a/b/', 'u'),
      groupArn(A, '/', 'g'),
      roleArn(A, '/', 'r'),
      mfaArn(A, '/', 'm'),
      federatedUserArn(A, 'f'),
      oidcProviderArn(A, 'h.example.com'),
    ]) {
      const p = parseArn(arn)!;
      expect(`arn:${p.partition}:${p.service}:${p.region}:${p.accountId}:${p.resource}`).toBe(arn);
    }
  });

  it('returns null for malformed ARNs', () => {
    for (const bad of [
      '',
      'arn',
      'arn:aws:iam::123456789012',
      'arn:aws:iam::123456789012:',
      'urn:aws:iam::123456789012:root',
      'arn::iam::123456789012:root',
      'arn:gcp:iam::123456789012:root',
      'arn:aws::us-east-1:123456789012:root',
      'arn:aws:IAM::123456789012:root',
      'arn:aws:iam::12345678901:root',
      'arn:aws:iam::1234567890123:root',
      'arn:aws:iam::abcdefghijkl:root',
      'arn:aws:iam::123456789012:user/ali ce',
      'arn:aws:iam::123456789012:user/alice\n',
      `arn:aws:iam::123456789012:user/${'a'.repeat(3000)}`,
      123 as unknown as string,
    ]) {
      expect(parseArn(bad)).toBeNull();
    }
  });
});
