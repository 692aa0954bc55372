/**
 * Domain error codes: AWS's names where AWS has one. Each transport maps them
 * in one table (REST: http-error-table.ts).
 */
export const ErrorCode = {
  ValidationError: 'ValidationError',
  NoSuchEntity: 'NoSuchEntity',
  EntityAlreadyExists: 'EntityAlreadyExists',
  LimitExceeded: 'LimitExceeded',
  DeleteConflict: 'DeleteConflict',
  AccessDenied: 'AccessDenied',
  /** No or unusable credentials on a route that needs them. */
  MissingAuthenticationToken: 'MissingAuthenticationToken',
  /** Sign-in failed: same answer for unknown account, unknown user and wrong password. */
  InvalidCredentials: 'InvalidCredentials',
  InvalidAuthenticationCode: 'InvalidAuthenticationCode',
  /** MFA is required and the principal must enroll a device first. */
  MfaEnrollmentRequired: 'MfaEnrollmentRequired',
  PasswordPolicyViolation: 'PasswordPolicyViolation',
  PasswordResetRequired: 'PasswordResetRequired',
  InvalidClientTokenId: 'InvalidClientTokenId',
  SignatureDoesNotMatch: 'SignatureDoesNotMatch',
  IncompleteSignature: 'IncompleteSignature',
  RequestExpired: 'RequestExpired',
  AuthorizationQueryParametersError: 'AuthorizationQueryParametersError',
  XAmzContentSHA256Mismatch: 'XAmzContentSHA256Mismatch',
  InvalidRequest: 'InvalidRequest',
  ExpiredToken: 'ExpiredToken',
  /** STS: a web identity token that is malformed, badly signed, from an unknown issuer or for another audience. */
  InvalidIdentityToken: 'InvalidIdentityToken',
  /** STS: the identity provider's keys could not be fetched. */
  IDPCommunicationError: 'IDPCommunicationError',
  /** STS: a token claim the trust policy or a mapping needs is refused. */
  IDPRejectedClaim: 'IDPRejectedClaim',
  /** STS: a policy document that cannot be parsed. */
  MalformedPolicyDocument: 'MalformedPolicyDocument',
  /** STS: session policy plus tags exceed the packed size. */
  PackedPolicyTooLarge: 'PackedPolicyTooLarge',
  InvalidToken: 'InvalidToken',
  Throttling: 'Throttling',
  NotFound: 'NotFound',
  MethodNotAllowed: 'MethodNotAllowed',
  PayloadTooLarge: 'PayloadTooLarge',
  UnsupportedMediaType: 'UnsupportedMediaType',
  ServiceUnavailable: 'ServiceUnavailable',
  InternalFailure: 'InternalFailure',
  /** An upstream the broker depends on (AWS IAM) cannot be reached or timed out. */
  UpstreamUnavailable: 'UpstreamUnavailable',
  /** An upstream answered with a failure the caller cannot fix (5xx, broker credentials refused). */
  UpstreamError: 'UpstreamError',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
