export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const SCOPE_TERMINATOR = 'aws4_request';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Hex SHA-256 of the empty string. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export type HeaderMap = Record<string, string | string[] | undefined>;

export interface SigV4Request {
  method: string;
  /**
   * Raw request path exactly as received (percent-encoded as on the wire, e.g. Node's `req.url` up to
   * '?'), without the query. It is dot-segment-normalised and then URI-encoded once more, as AWS does
   * for every service but S3 (so `%20` on the wire is `%2520` in the canonical request, which is
   * what the SDKs sign).
   */
  path: string;
  /** Raw query string without '?', '' if none. */
  query: string;
  /**
   * Header names lower-cased. Repeated headers MUST be arrays (Node: `req.headersDistinct`, not
   * `req.headers`, which joins with ", " and drops repeats of some headers); AWS joins them with ",".
   */
  headers: HeaderMap;
  /** Raw body bytes if any. */
  body?: Buffer | string;
}

export interface SigV4Credential {
  accessKeyId: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  service: string;
}

export interface ParsedSigV4 {
  form: 'header' | 'query';
  credential: SigV4Credential;
  /** Lower-case, strictly ascending (validated). */
  signedHeaders: string[];
  /** 64 lower-case hex characters (validated). */
  signature: string;
  /** Basic ISO 8601: YYYYMMDD'T'HHMMSS'Z' (from X-Amz-Date, or the Date header converted). */
  amzDate: string;
  requestTime: Date;
  /**
   * Which field the request date came from (for the signed-headers rule and error messages). Set by
   * `parseSigV4`; when absent it is inferred from `form` and the headers.
   */
  dateSource?: 'x-amz-date' | 'date' | 'X-Amz-Date';
  /** Query form only: X-Amz-Expires, when present. */
  expiresSeconds?: number;
  /** X-Amz-Security-Token (header or query); not validated here — the caller checks the session. */
  securityToken?: string;
  /** The declared payload hash: x-amz-content-sha256 header or X-Amz-Content-Sha256 query parameter. */
  contentSha256?: string;
}
