import { HttpException } from '@nestjs/common';
import { DomainError } from './domain-error.js';
import { ErrorCode } from './error-codes.js';
import { HTTP_STATUS_BY_CODE } from './http-error-table.js';

export interface ErrorResponse {
  status: number;
  body: { error: { code: string; message: string; requestId: string } };
  headers: Record<string, string>;
  /** Unexpected: log the full error once on the server. */
  unexpected: boolean;
}

/** Fastify's own errors (body parsing, limits) by code. */
const FASTIFY_CODES: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [ErrorCode.ValidationError, 'The request body is not valid JSON.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [ErrorCode.ValidationError, 'The request body is empty but declared as JSON.'],
  FST_ERR_CTP_BODY_TOO_LARGE: [ErrorCode.PayloadTooLarge, 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [ErrorCode.UnsupportedMediaType, 'Unsupported content type; send application/json.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [ErrorCode.ValidationError, 'Content-Length does not match the body.'],
  FST_ERR_BAD_URL: [ErrorCode.ValidationError, 'The request URL is malformed.'],
  FST_ERR_ASYNC_CONSTRAINT: [ErrorCode.ValidationError, 'The request could not be routed.'],
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationError,
  401: ErrorCode.MissingAuthenticationToken,
  403: ErrorCode.AccessDenied,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.Throttling,
};

function make(code: ErrorCode, message: string, requestId: string, unexpected = false, retryAfter?: number): ErrorResponse {
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return { status: HTTP_STATUS_BY_CODE[code], body: { error: { code, message, requestId } }, headers, unexpected };
}

/** Maps any thrown value to the REST error format. Never leaks internals. */
export function toErrorResponse(err: unknown, requestId: string): ErrorResponse {
  if (err instanceof DomainError) return make(err.code, err.message, requestId, false, err.retryAfterSeconds);
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = STATUS_CODES[status];
    if (code) {
      const msg = code === ErrorCode.NotFound ? 'No such route.' : status < 500 ? err.message : 'Request failed.';
      return make(code, msg, requestId);
    }
  }
  const fst = err as { code?: string; statusCode?: number };
  if (typeof fst?.code === 'string' && FASTIFY_CODES[fst.code]) {
    const [code, msg] = FASTIFY_CODES[fst.code];
    return make(code, msg, requestId);
  }
  if (typeof fst?.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    return make(STATUS_CODES[fst.statusCode] ?? ErrorCode.ValidationError, 'The request is invalid.', requestId);
  }
  return make(ErrorCode.InternalFailure, 'An internal error occurred. Quote the request id when reporting it.', requestId, true);
}
