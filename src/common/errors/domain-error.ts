import { ErrorCode } from './error-codes.js';

/**
 * An expected failure with an AWS-style code. The message goes to the client:
 * it must never contain a secret, password, token or MFA code.
 */
export class DomainError extends Error {
  override name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra headers for the transport (e.g. Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Server-side detail (never sent): the transport logs it with the request id. */
  diagnostic?: string;

  static validation(message: string): DomainError {
    return new DomainError(ErrorCode.ValidationError, message);
  }

  static noSuchEntity(what: string): DomainError {
    return new DomainError(ErrorCode.NoSuchEntity, `${what} cannot be found.`);
  }

  static alreadyExists(what: string): DomainError {
    return new DomainError(ErrorCode.EntityAlreadyExists, `${what} already exists.`);
  }

  static accessDenied(action?: string, resource?: string): DomainError {
    const msg = action
      ? `You are not authorized to perform ${action}${resource ? ` on resource ${resource}` : ''}.`
      : 'Access denied.';
    return new DomainError(ErrorCode.AccessDenied, msg);
  }
}
