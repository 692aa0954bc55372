import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { FormError } from '../../src/common/aws-query/form.js';
import { QueryProtocolError } from '../../src/common/aws-query/query-error.js';
import { QueryParamError } from '../../src/common/aws-query/query-params.js';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { ErrorCode } from '../../src/common/errors/error-codes.js';
import { QUERY_ERROR_TABLE, queryErrorOf } from '../../src/modules/aws-query/query-error-table.js';

/** Codes and statuses of the STS and IAM service models (botocore 1.43 / @aws-sdk): what the SDKs turn into exception classes. */
const MODELLED: Record<string, number> = {
  NoSuchEntity: 404,
  EntityAlreadyExists: 409,
  LimitExceeded: 409,
  DeleteConflict: 409,
  InvalidAuthenticationCode: 403,
  PasswordPolicyViolation: 400,
  MalformedPolicyDocument: 400,
  PackedPolicyTooLarge: 400,
  IDPRejectedClaim: 403,
  IDPCommunicationError: 400,
  InvalidIdentityToken: 400,
};

describe('AWS Query error table', () => {
  it('maps every domain code (exhaustive) to a 4xx Sender or 5xx Receiver', () => {
    for (const code of Object.values(ErrorCode)) {
      const spec = QUERY_ERROR_TABLE[code];
      expect(spec, code).toBeDefined();
      expect(spec.type === 'Sender' ? spec.status < 500 : spec.status >= 500, code).toBe(true);
      expect(spec.code, code).toMatch(/^[A-Za-z0-9]+$/);
    }
  });

  it('uses the service models’ statuses for modelled exceptions', () => {
    for (const [code, status] of Object.entries(MODELLED)) {
      const spec = QUERY_ERROR_TABLE[code as ErrorCode];
      expect(spec.code, code).toBe(code);
      expect(spec.status, code).toBe(status);
    }
    expect(QUERY_ERROR_TABLE.AccessDenied).toEqual({ status: 403, type: 'Sender', code: 'AccessDenied' });
    expect(QUERY_ERROR_TABLE.InvalidClientTokenId.status).toBe(403);
    expect(QUERY_ERROR_TABLE.MissingAuthenticationToken.status).toBe(403);
    expect(QUERY_ERROR_TABLE.ExpiredToken).toEqual({ status: 403, type: 'Sender', code: 'ExpiredToken' });
  });

  it('domain errors keep their message; retry-after is passed on', () => {
    const r = queryErrorOf(new DomainError(ErrorCode.Throttling, 'Rate exceeded', 3), 'iam');
    expect(r).toEqual({ status: 400, error: { type: 'Sender', code: 'Throttling', message: 'Rate exceeded' }, headers: { 'retry-after': '3' }, unexpected: false });
  });

  it('transport errors: protocol, parameters, form', () => {
    expect(queryErrorOf(QueryProtocolError.missingAction(), 'sts')).toMatchObject({ status: 400, error: { code: 'MissingAction', message: 'Missing Action' } });
    expect(queryErrorOf(QueryProtocolError.invalidAction('Nope', 'NO_VERSION_SPECIFIED'), 'sts').error.message).toBe('Could not find operation Nope for version NO_VERSION_SPECIFIED');
    expect(queryErrorOf(new QueryParamError('MissingParameter', 'm'), 'iam')).toMatchObject({ status: 400, error: { code: 'MissingParameter' } });
    expect(queryErrorOf(new FormError('bad'), 'iam')).toMatchObject({ status: 400, error: { type: 'Sender', code: 'MalformedQueryString' } });
  });

  it('framework errors before the handler: body too large, media type, Nest HTTP exceptions', () => {
    expect(queryErrorOf(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 'sts')).toMatchObject({ status: 413, error: { code: 'RequestEntityTooLarge' } });
    expect(queryErrorOf(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), 'sts')).toMatchObject({ status: 400, error: { code: 'MalformedQueryString' } });
    expect(queryErrorOf(new BadRequestException('nope'), 'sts')).toMatchObject({ status: 400, error: { code: 'ValidationError' } });
  });

  it('unexpected errors: 500 Receiver, the service’s failure code, no internals', () => {
    const boom = new Error('db password=hunter2 at /srv/x.ts:1');
    const sts = queryErrorOf(boom, 'sts');
    expect(sts).toMatchObject({ status: 500, error: { type: 'Receiver', code: 'InternalFailure' }, unexpected: true });
    expect(sts.error.message).not.toContain('hunter2');
    expect(queryErrorOf(boom, 'iam').error.code).toBe('ServiceFailure');
    expect(queryErrorOf('a string', 'iam').status).toBe(500);
  });
});
