import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';

/**
 * The GraphQL transport's one table: domain code → `extensions.code` (Apollo's
 * names where Apollo has one). Exhaustive like the REST table: a new domain code
 * does not compile until it has a GraphQL code.
 */
export const GRAPHQL_CODE_BY_ERROR: Record<ErrorCode, string> = {
  ValidationError: 'BAD_USER_INPUT',
  PasswordPolicyViolation: 'BAD_USER_INPUT',
  NoSuchEntity: 'NOT_FOUND',
  NotFound: 'NOT_FOUND',
  EntityAlreadyExists: 'CONFLICT',
  LimitExceeded: 'CONFLICT',
  DeleteConflict: 'CONFLICT',
  AccessDenied: 'FORBIDDEN',
  MfaEnrollmentRequired: 'FORBIDDEN',
  PasswordResetRequired: 'FORBIDDEN',
  MissingAuthenticationToken: 'UNAUTHENTICATED',
  InvalidCredentials: 'UNAUTHENTICATED',
  InvalidAuthenticationCode: 'UNAUTHENTICATED',
  InvalidClientTokenId: 'UNAUTHENTICATED',
  SignatureDoesNotMatch: 'UNAUTHENTICATED',
  IncompleteSignature: 'UNAUTHENTICATED',
  RequestExpired: 'UNAUTHENTICATED',
  AuthorizationQueryParametersError: 'UNAUTHENTICATED',
  XAmzContentSHA256Mismatch: 'UNAUTHENTICATED',
  ExpiredToken: 'UNAUTHENTICATED',
  InvalidRequest: 'BAD_REQUEST',
  InvalidIdentityToken: 'BAD_USER_INPUT',
  IDPCommunicationError: 'BAD_GATEWAY',
  IDPRejectedClaim: 'FORBIDDEN',
  MalformedPolicyDocument: 'BAD_USER_INPUT',
  PackedPolicyTooLarge: 'BAD_USER_INPUT',
  InvalidToken: 'BAD_USER_INPUT',
  Throttling: 'THROTTLED',
  MethodNotAllowed: 'BAD_REQUEST',
  PayloadTooLarge: 'BAD_REQUEST',
  UnsupportedMediaType: 'BAD_REQUEST',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  InternalFailure: 'INTERNAL_SERVER_ERROR',
  UpstreamUnavailable: 'SERVICE_UNAVAILABLE',
  UpstreamError: 'BAD_GATEWAY',
};

/** Codes Apollo and the hardening rules produce themselves (parse, validation, limits): passed through. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'QUERY_TOO_COMPLEX',
]);

export interface FormattedGraphqlError {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  extensions: { code: string; awsCode?: string; retryAfterSeconds?: number };
}

/**
 * Maps any error to what the client sees: DomainErrors by the table (the AWS
 * code as `awsCode`), GraphQL's own request errors as they are, anything else
 * as INTERNAL_SERVER_ERROR with a generic message. Never a stack trace.
 */
export function toGraphqlError(
  formatted: { message: string; locations?: readonly { line: number; column: number }[]; path?: readonly (string | number)[]; extensions?: Record<string, unknown> },
  original: unknown,
): FormattedGraphqlError & { unexpected: boolean } {
  // Duck-typed: graphql-js may be loaded twice (its CommonJS and ES builds), so instanceof GraphQLError is unreliable.
  const inner = (original as { originalError?: unknown } | null)?.originalError;
  const cause = inner ?? original;
  const base = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  if (cause instanceof DomainError) {
    const extensions: FormattedGraphqlError['extensions'] = { code: GRAPHQL_CODE_BY_ERROR[cause.code], awsCode: cause.code };
    if (cause.retryAfterSeconds !== undefined) extensions.retryAfterSeconds = cause.retryAfterSeconds;
    return { ...base, message: cause.message, extensions, unexpected: false };
  }
  const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : undefined;
  // A GraphQLError raised by GraphQL itself (syntax, validation, variables, limits): its message is meant for the client.
  // A request error (syntax, validation, variables, limits) wraps no foreign error, or only another GraphQL error.
  if (code && PASS_THROUGH.has(code) && (inner === undefined || inner === null || isGraphqlError(inner))) {
    return { ...base, message: formatted.message, extensions: { code }, unexpected: false };
  }
  return {
    ...base,
    message: 'An internal error occurred. Quote the request id when reporting it.',
    extensions: { code: GRAPHQL_CODE_BY_ERROR.InternalFailure },
    unexpected: true,
  };
}

/** A GraphQLError (or Apollo's subclasses: UserInputError …), whichever copy of graphql-js made it: it has `extensions`. */
const isGraphqlError = (e: unknown): boolean => typeof e === 'object' && e !== null && !(e instanceof DomainError) && typeof (e as { extensions?: unknown }).extensions === 'object';

