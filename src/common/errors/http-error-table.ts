import { ErrorCode } from './error-codes.js';

/** The REST transport's one table: domain code → HTTP status. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  ValidationError: 400,
  PasswordPolicyViolation: 400,
  NoSuchEntity: 404,
  NotFound: 404,
  EntityAlreadyExists: 409,
  LimitExceeded: 409,
  DeleteConflict: 409,
  AccessDenied: 403,
  MfaEnrollmentRequired: 403,
  PasswordResetRequired: 403,
  MissingAuthenticationToken: 401,
  InvalidCredentials: 401,
  InvalidAuthenticationCode: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  IncompleteSignature: 400,
  ExpiredToken: 403,
  InvalidToken: 400,
  Throttling: 429,
  MethodNotAllowed: 405,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  ServiceUnavailable: 503,
  InternalFailure: 500,
};
