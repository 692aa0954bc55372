import { HttpException } from '@nestjs/common';
import { FormError } from '../../common/aws-query/form.js';
import { QueryParamError } from '../../common/aws-query/query-params.js';
import { QueryProtocolError } from '../../common/aws-query/query-error.js';
import type { XmlError } from '../../common/aws-query/xml.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { toErrorResponse } from '../../common/errors/error-response.js';
import type { QueryService } from './query-action.js';

interface QueryErrorSpec {
  status: number;
  type: 'Sender' | 'Receiver';
  /** AWS's `<Code>`: the SDKs turn the modelled ones into exception classes (e.g. NoSuchEntity → NoSuchEntityException). */
  code: string;
  /** Replaces the domain message (when it speaks of the REST API). */
  message?: string;
}

const sender = (status: number, code: string, message?: string): QueryErrorSpec => ({ status, type: 'Sender', code, ...(message ? { message } : {}) });
const receiver = (status: number, code: string): QueryErrorSpec => ({ status, type: 'Receiver', code });

/** Codes that differ by service: IAM models `ServiceFailure` (ServiceFailureException), STS answers `InternalFailure`. */
const SERVICE_FAILURE: Record<QueryService, string> = { sts: 'InternalFailure', iam: 'ServiceFailure' };

/**
 * The AWS Query transport's one table: every domain code → HTTP status, fault type and AWS code,
 * with the statuses of the STS and IAM service models (botocore / @aws-sdk). Exhaustive: a new
 * ErrorCode fails the typecheck until it is mapped here.
 */
export const QUERY_ERROR_TABLE: Record<ErrorCode, QueryErrorSpec> = {
  ValidationError: sender(400, 'ValidationError'),
  PasswordPolicyViolation: sender(400, 'PasswordPolicyViolation'),
  NoSuchEntity: sender(404, 'NoSuchEntity'),
  NotFound: sender(404, 'NotFound'),
  EntityAlreadyExists: sender(409, 'EntityAlreadyExists'),
  LimitExceeded: sender(409, 'LimitExceeded'),
  DeleteConflict: sender(409, 'DeleteConflict'),
  AccessDenied: sender(403, 'AccessDenied'),
  MfaEnrollmentRequired: sender(403, 'AccessDenied'),
  PasswordResetRequired: sender(403, 'AccessDenied'),
  MissingAuthenticationToken: sender(403, 'MissingAuthenticationToken'),
  InvalidCredentials: sender(403, 'AccessDenied'),
  InvalidAuthenticationCode: sender(403, 'InvalidAuthenticationCode'),
  InvalidClientTokenId: sender(403, 'InvalidClientTokenId'),
  SignatureDoesNotMatch: sender(403, 'SignatureDoesNotMatch'),
  IncompleteSignature: sender(400, 'IncompleteSignature'),
  RequestExpired: sender(400, 'RequestExpired'),
  AuthorizationQueryParametersError: sender(400, 'AuthorizationQueryParametersError'),
  XAmzContentSHA256Mismatch: sender(400, 'XAmzContentSHA256Mismatch'),
  InvalidRequest: sender(400, 'InvalidRequest'),
  // Expired session credentials on a signed request (AWS: 403 ExpiredToken). An expired web
  // identity token is STS's ExpiredTokenException (400): the STS action translates that one.
  ExpiredToken: sender(403, 'ExpiredToken'),
  InvalidIdentityToken: sender(400, 'InvalidIdentityToken'),
  IDPCommunicationError: sender(400, 'IDPCommunicationError'),
  IDPRejectedClaim: sender(403, 'IDPRejectedClaim'),
  MalformedPolicyDocument: sender(400, 'MalformedPolicyDocument'),
  PackedPolicyTooLarge: sender(400, 'PackedPolicyTooLarge'),
  InvalidToken: sender(400, 'InvalidParameterValue'),
  Throttling: sender(400, 'Throttling'),
  MethodNotAllowed: sender(405, 'MethodNotAllowed', 'The AWS Query API takes POST (form body) or GET (query string) requests.'),
  PayloadTooLarge: sender(413, 'RequestEntityTooLarge', 'Request body is too large.'),
  UnsupportedMediaType: sender(400, 'MalformedQueryString', 'The request body must be application/x-www-form-urlencoded.'),
  ServiceUnavailable: receiver(503, 'ServiceUnavailable'),
  InternalFailure: receiver(500, 'InternalFailure'),
  UpstreamUnavailable: receiver(503, 'ServiceUnavailable'),
  UpstreamError: receiver(500, 'InternalFailure'),
};

export interface QueryErrorResponse {
  status: number;
  error: XmlError;
  headers: Record<string, string>;
  /** Unexpected: the edge logs the full error once (never sent). */
  unexpected: boolean;
}

const INTERNAL_MESSAGE = 'An internal error occurred. Quote the request id when reporting it.';

/** Maps anything thrown while serving an AWS Query request to AWS's error (never leaking internals). */
export function queryErrorOf(err: unknown, service: QueryService): QueryErrorResponse {
  if (err instanceof QueryProtocolError) return { status: err.status, error: { type: err.type, code: err.code, message: err.message }, headers: {}, unexpected: false };
  if (err instanceof QueryParamError) return { status: 400, error: { type: 'Sender', code: err.code, message: err.message }, headers: {}, unexpected: false };
  if (err instanceof FormError) return { status: 400, error: { type: 'Sender', code: err.code, message: err.message }, headers: {}, unexpected: false };
  let code: ErrorCode;
  let message: string;
  let retryAfter: number | undefined;
  let unexpected = false;
  if (err instanceof DomainError) {
    ({ code, message } = err);
    retryAfter = err.retryAfterSeconds;
  } else if (err instanceof HttpException || isFrameworkError(err)) {
    // Errors raised before the handler (body limit, content type): the REST mapping knows them.
    const r = toErrorResponse(err, '');
    code = r.body.error.code as ErrorCode;
    message = r.body.error.message;
    unexpected = r.unexpected;
  } else {
    code = ErrorCode.InternalFailure;
    message = INTERNAL_MESSAGE;
    unexpected = true;
  }
  const spec = QUERY_ERROR_TABLE[code] ?? QUERY_ERROR_TABLE.InternalFailure;
  const awsCode = spec.code === 'InternalFailure' ? SERVICE_FAILURE[service] : spec.code;
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return {
    status: spec.status,
    error: { type: spec.type, code: awsCode, message: spec.type === 'Receiver' && !(err instanceof DomainError) ? INTERNAL_MESSAGE : (spec.message ?? message) },
    headers,
    unexpected,
  };
}

function isFrameworkError(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  return !!e && typeof e === 'object' && (typeof e.code === 'string' && e.code.startsWith('FST_') || typeof e.statusCode === 'number');
}
