/**
 * SigV4 error codes: the names AWS itself answers with, and the HTTP status AWS uses for each.
 *
 * Choices (IAM/STS behaviour where those services define one; S3's code only where it is the one AWS
 * code for the condition):
 *
 * | code                              | HTTP | when                                                                 |
 * | --------------------------------- | ---- | -------------------------------------------------------------------- |
 * | MissingAuthenticationToken        | 403  | no SigV4 at all (`parseSigV4` → null); thrown by the caller, not here |
 * | IncompleteSignature               | 400  | malformed Authorization header / query auth parameters, unsupported   |
 * |                                   |      | algorithm, bad X-Amz-Date, no date, `host` (or the date header) not   |
 * |                                   |      | in SignedHeaders ("does not conform to AWS standards")                |
 * | InvalidClientTokenId              | 403  | unknown access key id; thrown by the caller after its key lookup      |
 * | SignatureDoesNotMatch             | 403  | wrong signature; clock skew (STS/IAM answer "Signature expired: …     |
 * |                                   |      | is now earlier than …" / "Signature not yet current: …" with this     |
 * |                                   |      | code); credential scope not matching the request date, an allowed     |
 * |                                   |      | region or service (STS: "Credential should be scoped to a valid       |
 * |                                   |      | region"); a signed header absent from the request                     |
 * | RequestExpired                    | 400  | presigned (query) request past X-Amz-Date + X-Amz-Expires — AWS's     |
 * |                                   |      | common error for "more than 15 minutes after the request expiration   |
 * |                                   |      | date (such as for pre-signed URLs)". (S3 answers AccessDenied 403.)   |
 * | AuthorizationQueryParametersError | 400  | X-Amz-Expires not a positive integer or above the 7-day maximum       |
 * |                                   |      | (S3's code; STS ignores X-Amz-Expires, so it has none)                |
 * | XAmzContentSHA256Mismatch         | 400  | x-amz-content-sha256 is a hash that is not the body's (S3's code)     |
 * | InvalidRequest                    | 400  | both header and query auth; unsupported x-amz-content-sha256 value    |
 * |                                   |      | (UNSIGNED-PAYLOAD in header form, STREAMING-*, garbage)               |
 */
export type SigV4ErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'InvalidClientTokenId'
  | 'SignatureDoesNotMatch'
  | 'RequestExpired'
  | 'AuthorizationQueryParametersError'
  | 'XAmzContentSHA256Mismatch'
  | 'InvalidRequest';

/** The HTTP status AWS answers each code with. */
export const SIGV4_ERROR_HTTP_STATUS: Readonly<Record<SigV4ErrorCode, number>> = {
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  RequestExpired: 400,
  AuthorizationQueryParametersError: 400,
  XAmzContentSHA256Mismatch: 400,
  InvalidRequest: 400,
};

/** Messages never contain the secret, the signing key or the expected signature. */
export class SigV4Error extends Error {
  constructor(
    public readonly code: SigV4ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SigV4Error';
  }

  get httpStatus(): number {
    return SIGV4_ERROR_HTTP_STATUS[this.code];
  }
}

/** AWS's generic text for a signature mismatch. */
export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
