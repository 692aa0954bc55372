import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { HTTP_STATUS_BY_CODE } from '../../src/common/errors/http-error-table.js';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import {
  awsErrorCode,
  revokeOlderSessionsPolicy,
  roleNameFromArn,
  scrubAwsMessage,
  translateAwsError,
} from '../../src/modules/aws/aws-iam.gateway.js';
import { translateStsError } from '../../src/modules/aws/aws-sts.gateway.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** An error shaped like an @aws-sdk/client-iam service exception. */
function sdkError(name: string, opts: { status?: number; fault?: 'client' | 'server'; message?: string; requestId?: string; code?: string } = {}) {
  const e = new Error(opts.message ?? `${name} happened`) as Error & Record<string, unknown>;
  e.name = name;
  e.$fault = opts.fault ?? ((opts.status ?? 400) >= 500 ? 'server' : 'client');
  e.$metadata = { httpStatusCode: opts.status ?? 400, requestId: opts.requestId ?? 'req-123', attempts: 1, totalRetryDelay: 0 };
  if (opts.code) e.Code = opts.code;
  return e;
}

/** A Node socket error as the SDK's handler rethrows it (the retry middleware adds $metadata). */
function netError(code: string, message = `connect ${code} 127.0.0.1:1`) {
  return Object.assign(new Error(message), { code, $metadata: { attempts: 3, totalRetryDelay: 120 } });
}

const status = (e: DomainError) => HTTP_STATUS_BY_CODE[e.code];

describe('translateAwsError', () => {
  it.each([
    ['NoSuchEntityException', 'NoSuchEntity', 404, 404],
    ['NoSuchEntity', 'NoSuchEntity', 404, 404],
    ['LimitExceededException', 'LimitExceeded', 409, 409],
    ['EntityAlreadyExistsException', 'EntityAlreadyExists', 409, 409],
    ['DeleteConflictException', 'DeleteConflict', 409, 409],
    ['InvalidInputException', 'ValidationError', 400, 400],
    ['ValidationError', 'ValidationError', 400, 400],
  ])('%s → %s', (name, code, awsStatus, http) => {
    const e = translateAwsError(sdkError(name, { status: awsStatus, message: 'The user with name bob cannot be found.' }));
    expect(e).toBeInstanceOf(DomainError);
    expect(e.code).toBe(code);
    expect(status(e)).toBe(http);
    expect(e.message).toBe('The user with name bob cannot be found (AWS request id req-123).');
  });

  it('uses the wire Code when the name is generic', () => {
    expect(translateAwsError(sdkError('IAMServiceException', { code: 'NoSuchEntity', status: 404 })).code).toBe('NoSuchEntity');
  });

  it('falls back to its own message when AWS sends none', () => {
    const e = translateAwsError(sdkError('NoSuchEntityException', { status: 404, message: '' }));
    expect(e.message).toBe('The IAM entity cannot be found in AWS (AWS request id req-123).');
  });

  it('omits the request id when there is none', () => {
    const err = sdkError('DeleteConflictException', { message: 'Cannot delete entity, must delete login profile first.' });
    (err.$metadata as Record<string, unknown>).requestId = undefined;
    expect(translateAwsError(err).message).toBe('Cannot delete entity, must delete login profile first.');
  });

  it.each(['AccessDenied', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'UnrecognizedClientException'])(
    '%s (the broker identity is refused) → UpstreamError 502',
    (name) => {
      const e = translateAwsError(
        sdkError(name, { status: 403, message: `The request signature we calculated does not match. Check your key ${SECRET}` }),
      );
      expect(e.code).toBe('UpstreamError');
      expect(status(e)).toBe(502);
      expect(e.message).toMatch(/^AWS refused the broker's credentials or permissions/);
      expect(e.message).toContain('req-123');
      expect(e.message).not.toContain(SECRET);
      expect(e.message).not.toMatch(/signature we calculated/);
    },
  );

  it.each([
    ['Throttling', 400],
    ['ThrottlingException', 400],
    ['TooManyRequestsException', 429],
    ['RequestLimitExceeded', 503],
    ['SomethingElse', 429],
  ])('%s (HTTP %i) → Throttling 429 with Retry-After', (name, awsStatus) => {
    const e = translateAwsError(sdkError(name, { status: awsStatus }));
    expect(e.code).toBe('Throttling');
    expect(status(e)).toBe(429);
    expect(e.retryAfterSeconds).toBeGreaterThan(0);
    expect(e.message).toContain('req-123');
  });

  it.each([
    netError('ECONNREFUSED'),
    netError('ENOTFOUND', 'getaddrinfo ENOTFOUND iam.amazonaws.com'),
    netError('ECONNRESET', 'socket hang up'),
    netError('ETIMEDOUT'),
    netError('EAI_AGAIN'),
    netError('EHOSTUNREACH'),
    Object.assign(new Error('Socket timed out without establishing a connection within 500 ms'), { name: 'TimeoutError' }),
    Object.assign(new Error('socket hang up'), { $metadata: {} }),
    Object.assign(new AggregateError([netError('ECONNREFUSED'), netError('ECONNREFUSED')], ''), { code: 'ECONNREFUSED' }),
    Object.assign(new AggregateError([netError('ENETUNREACH')], 'all failed')),
    Object.assign(new Error('request failed'), { cause: netError('ECONNRESET') }),
  ])('network failure %# → UpstreamUnavailable 503', (err) => {
    const e = translateAwsError(err);
    expect(e.code).toBe('UpstreamUnavailable');
    expect(status(e)).toBe(503);
    expect(e.message).toMatch(/^AWS IAM is unreachable/);
  });

  it.each([
    ['ServiceFailureException', 500],
    ['ServiceUnavailable', 503],
    ['InternalError', 502],
  ])('%s (HTTP %i) → UpstreamError 502', (name, awsStatus) => {
    const e = translateAwsError(sdkError(name, { status: awsStatus }));
    expect(e.code).toBe('UpstreamError');
    expect(status(e)).toBe(502);
    expect(e.message).toBe(`AWS IAM failed to process the request (${name.replace(/Exception$/, '')}, HTTP ${awsStatus}) (AWS request id req-123).`);
  });

  it('treats $fault "server" without a status as a server error', () => {
    const e = translateAwsError(Object.assign(new Error('x'), { name: 'ServiceFailureException', $fault: 'server', $metadata: {} }));
    expect(e.code).toBe('UpstreamError');
  });

  it('answers UpstreamError naming the code for other AWS client errors', () => {
    const e = translateAwsError(sdkError('UnmodifiableEntityException', { status: 400, message: `key ${SECRET}` }));
    expect(e.code).toBe('UpstreamError');
    expect(e.message).toBe('AWS IAM rejected the request (UnmodifiableEntity, HTTP 400) (AWS request id req-123).');
  });

  it('answers UpstreamError when the broker has no AWS credentials', () => {
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', $metadata: { attempts: 1 } });
    const e = translateAwsError(err);
    expect(e.code).toBe('UpstreamError');
    expect(e.message).toMatch(/no usable AWS credentials/);
  });

  it('passes a DomainError through and maps non-AWS errors to InternalFailure', () => {
    const d = DomainError.noSuchEntity('x');
    expect(translateAwsError(d)).toBe(d);
    for (const odd of [new TypeError('undefined is not a function'), 'boom', null, undefined, 42]) {
      const e = translateAwsError(odd);
      expect(e.code).toBe('InternalFailure');
      expect(status(e)).toBe(500);
    }
  });

  it('never passes on a secret in an AWS message', () => {
    const e = translateAwsError(sdkError('NoSuchEntityException', { status: 404, message: `The Access Key with id ${SECRET} cannot be found` }));
    expect(e.code).toBe('NoSuchEntity');
    expect(e.message).not.toContain(SECRET);
    expect(e.message).toBe('The Access Key with id [redacted] cannot be found (AWS request id req-123).');
  });
});

describe('translateAwsError with a service label (STS)', () => {
  it('keeps "AWS IAM" as the default label', () => {
    expect(translateAwsError(netError('ECONNREFUSED')).message).toMatch(/^AWS IAM is unreachable/);
  });

  it('names AWS STS in unreachable, throttling, server and client error messages', () => {
    expect(translateAwsError(netError('ECONNREFUSED'), 'AWS STS').message).toBe(
      'AWS STS is unreachable (connection failed or timed out); try again later.',
    );
    expect(translateAwsError(sdkError('Throttling'), 'AWS STS').message).toBe(
      "AWS STS is throttling the broker's requests; try again later (AWS request id req-123).",
    );
    expect(translateAwsError(sdkError('InternalError', { status: 500 }), 'AWS STS').message).toBe(
      'AWS STS failed to process the request (InternalError, HTTP 500) (AWS request id req-123).',
    );
    expect(translateAwsError(sdkError('STSServiceException', { status: 400, code: 'Weird' }), 'AWS STS').message).toBe(
      'AWS STS rejected the request (Weird, HTTP 400) (AWS request id req-123).',
    );
    expect(translateAwsError(new TypeError('x'), 'AWS STS').message).toBe('An internal error occurred while calling AWS STS.');
    expect(translateAwsError(sdkError('ValidationError', { message: '' }), 'AWS STS').message).toBe(
      'AWS STS rejected the request as invalid (AWS request id req-123).',
    );
  });

  it.each([
    ['MalformedPolicyDocumentException', 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.'],
    ['MalformedPolicyDocument', 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.'],
    ['PackedPolicyTooLargeException', 'PackedPolicyTooLarge', 'Serialized token too large for session'],
  ])('%s → %s 400 with the AWS message', (name, code, message) => {
    const e = translateAwsError(sdkError(name, { status: 400, message }), 'AWS STS');
    expect(e.code).toBe(code);
    expect(status(e)).toBe(400);
    expect(e.message).toBe(`${message.replace(/\.$/, '')} (AWS request id req-123).`);
  });

  it('has its own messages when AWS sends none for the STS codes', () => {
    expect(translateAwsError(sdkError('MalformedPolicyDocumentException', { message: '' }), 'AWS STS').message).toBe(
      'AWS STS rejected the session policy as malformed (AWS request id req-123).',
    );
    expect(translateAwsError(sdkError('PackedPolicyTooLargeException', { message: '' }), 'AWS STS').message).toBe(
      'The session policy and tags are too large for AWS STS (AWS request id req-123).',
    );
  });

  it('RegionDisabled → UpstreamError 502 telling the operator what to do', () => {
    const e = translateAwsError(sdkError('RegionDisabledException', { status: 403 }), 'AWS STS');
    expect(e.code).toBe('UpstreamError');
    expect(status(e)).toBe(502);
    expect(e.message).toMatch(/^AWS STS is not activated in the broker's AWS region .*\(RegionDisabled\) \(AWS request id req-123\); an operator/);
  });

  it('translateStsError: AccessDenied on AssumeRole says the AWS role does not trust the broker', () => {
    const e = translateStsError(sdkError('AccessDenied', { status: 403, message: `User: arn:aws:iam::123456789012:user/broker is not authorized ${SECRET}` }));
    expect(e.code).toBe('UpstreamError');
    expect(status(e)).toBe(502);
    expect(e.message).toBe(
      "AWS STS refused to let the broker assume the AWS role (AccessDenied) (AWS request id req-123); the AWS role's trust policy must allow the broker's AWS identity (and the external ID, if it requires one).",
    );
    expect(e.diagnostic).toMatch(/^AssumeRole failed: UpstreamError: /);
    expect(e.diagnostic).not.toContain(SECRET);
  });

  it('translateStsError: other broker-identity refusals, throttling, network and caller errors', () => {
    const bad = translateStsError(sdkError('InvalidClientTokenId', { status: 403 }));
    expect(bad.code).toBe('UpstreamError');
    expect(bad.message).toMatch(/^AWS refused the broker's credentials or permissions \(InvalidClientTokenId\)/);
    expect(translateStsError(sdkError('Throttling')).code).toBe('Throttling');
    const down = translateStsError(netError('ECONNREFUSED'));
    expect(down.code).toBe('UpstreamUnavailable');
    expect(down.message).toMatch(/^AWS STS is unreachable/);
    expect(down.diagnostic).toMatch(/ECONNREFUSED/);
    const invalid = translateStsError(sdkError('ValidationError', { message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' }));
    expect(invalid.code).toBe('ValidationError');
    expect(status(invalid)).toBe(400);
    expect(invalid.diagnostic).toBeUndefined();
  });
});

describe('awsErrorCode', () => {
  it('gives the bare AWS code from the name or the wire Code, skipping generic names', () => {
    expect(awsErrorCode(sdkError('AccessDeniedException'))).toBe('AccessDenied');
    expect(awsErrorCode(sdkError('STSServiceException', { code: 'RegionDisabled' }))).toBe('RegionDisabled');
    expect(awsErrorCode(sdkError('IAMServiceException'))).toBeUndefined();
    expect(awsErrorCode(new Error('x'))).toBeUndefined();
    expect(awsErrorCode('AccessDenied')).toBeUndefined();
    expect(awsErrorCode(null)).toBeUndefined();
  });
});

describe('revocation helpers', () => {
  it('builds the AWSRevokeOlderSessions document', () => {
    const before = new Date('2030-05-06T07:08:09.123Z');
    expect(JSON.parse(revokeOlderSessionsPolicy(before))).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2030-05-06T07:08:09.123Z' } } }],
    });
  });

  it.each([
    ['arn:aws:iam::123456789012:role/deploy', 'deploy'],
    ['arn:aws:iam::123456789012:role/team/a/ci.runner@x', 'ci.runner@x'],
    ['arn:aws-us-gov:iam::123456789012:role/r', 'r'],
    ['arn:aws:iam::123456789012:user/alice', undefined],
    ['arn:aws:iam::12345:role/r', undefined],
    ['arn:aws:sts::123456789012:assumed-role/r/s', undefined],
    ['arn:aws:iam::123456789012:role/', undefined],
    ['role/r', undefined],
  ])('roleNameFromArn(%s) = %s', (arn, name) => {
    expect(roleNameFromArn(arn)).toBe(name);
  });
});

describe('scrubAwsMessage', () => {
  it('redacts long base64-like runs, flattens whitespace and caps the length', () => {
    expect(scrubAwsMessage(`a\n  b ${SECRET}`)).toBe('a b [redacted]');
    expect(scrubAwsMessage('The user with name bob cannot be found.')).toBe('The user with name bob cannot be found.');
    expect(scrubAwsMessage('x '.repeat(400)).length).toBeLessThanOrEqual(301);
  });
});

describe('AWS upstream config', () => {
  const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: 'memory://', ...env }).aws;

  it('has defaults and reads the AWS_UPSTREAM_* variables', () => {
    expect(load({})).toEqual({
      endpoint: undefined,
      region: 'us-east-1',
      timeoutMs: 5000,
      maxAttempts: 3,
      stsCache: { enabled: true, maxReuseSeconds: 300, minRemainingSeconds: 900 },
    });
    expect(
      load({
        AWS_UPSTREAM_ENDPOINT: 'http://127.0.0.1:5000',
        AWS_UPSTREAM_REGION: 'eu-west-1',
        AWS_UPSTREAM_TIMEOUT_MS: '100',
        AWS_UPSTREAM_MAX_ATTEMPTS: '10',
        AWS_UPSTREAM_STS_CACHE: 'false',
        AWS_UPSTREAM_STS_CACHE_MAX_REUSE_SECONDS: '60',
        AWS_UPSTREAM_STS_CACHE_MIN_REMAINING_SECONDS: '120',
      }),
    ).toEqual({
      endpoint: 'http://127.0.0.1:5000',
      region: 'eu-west-1',
      timeoutMs: 100,
      maxAttempts: 10,
      stsCache: { enabled: false, maxReuseSeconds: 60, minRemainingSeconds: 120 },
    });
  });

  it.each([
    ['AWS_UPSTREAM_ENDPOINT', 'not a url'],
    ['AWS_UPSTREAM_ENDPOINT', 'ftp://127.0.0.1:21'],
    ['AWS_UPSTREAM_ENDPOINT', 'https://user:pass@iam.example.com'],
    ['AWS_UPSTREAM_REGION', 'us east 1'],
    ['AWS_UPSTREAM_TIMEOUT_MS', '99'],
    ['AWS_UPSTREAM_TIMEOUT_MS', '60001'],
    ['AWS_UPSTREAM_MAX_ATTEMPTS', '0'],
    ['AWS_UPSTREAM_MAX_ATTEMPTS', '11'],
    ['AWS_UPSTREAM_MAX_ATTEMPTS', 'three'],
    ['AWS_UPSTREAM_STS_CACHE', 'maybe'],
    ['AWS_UPSTREAM_STS_CACHE_MAX_REUSE_SECONDS', '0'],
    ['AWS_UPSTREAM_STS_CACHE_MIN_REMAINING_SECONDS', '59'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => load({ [name]: value })).toThrow(ConfigError);
    expect(() => load({ [name]: value })).toThrow(name);
  });

  it('never echoes endpoint credentials', () => {
    expect(() => load({ AWS_UPSTREAM_ENDPOINT: 'https://user:s3cret@iam.example.com' })).toThrow(/^(?!.*s3cret)/);
  });
});
