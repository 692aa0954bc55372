import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  type AccessKeyMetadata,
} from '@aws-sdk/client-iam';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import type { AppConfig, AwsUpstreamConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';

export type AwsAccessKeyStatus = 'Active' | 'Inactive';

export interface AwsCreatedAccessKey {
  accessKeyId: string;
  /** Secret: returned once, never logged. */
  secretAccessKey: string;
  status: AwsAccessKeyStatus;
  createDate: Date;
}

export interface AwsAccessKeySummary {
  accessKeyId: string;
  status: AwsAccessKeyStatus;
  createDate: Date;
}

export interface AwsAccessKeyLastUsed {
  lastUsedDate?: Date;
  serviceName?: string;
  region?: string;
}

/** Seconds a client is told to wait when AWS still throttles after the SDK's own retries. */
export const AWS_THROTTLING_RETRY_AFTER_SECONDS = 2;

/** Most pages followed by listAccessKeys (AWS allows 2 keys per user; this only stops a broken upstream looping). */
const MAX_LIST_PAGES = 100;

// ---------------------------------------------------------------------------
// Error translation (pure; unit-tested).
// ---------------------------------------------------------------------------

/** Node/undici socket error codes and SDK error names meaning "AWS could not be reached in time". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'AbortError']);

/** Throttling as AWS spells it (after stripping an "Exception" suffix); HTTP 429 counts too. */
const THROTTLING_NAMES = new Set([
  'Throttling',
  'Throttled',
  'RequestThrottled',
  'TooManyRequests',
  'RequestLimitExceeded',
  'SlowDown',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'EC2Throttled',
]);

/** AWS refused the broker's own identity: not the caller's fault, nothing the caller can fix. */
const BROKER_AUTH_NAMES = new Set([
  'AccessDenied',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClient',
  'InvalidAccessKeyId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'AuthFailure',
  'RequestExpired',
]);

/** The SDK's credential chain found nothing usable (no env keys, profile, web identity, IMDS...). */
const CREDENTIAL_PROVIDER_NAMES = new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError']);

/** AWS codes that mean the same as one of ours: the AWS message is passed on (scrubbed). */
const DIRECT_CODES: Record<string, ErrorCode> = {
  // STS: the session policy (or policy plus tags) is the caller's input.
  MalformedPolicyDocument: ErrorCode.MalformedPolicyDocument,
  PackedPolicyTooLarge: ErrorCode.PackedPolicyTooLarge,
  NoSuchEntity: ErrorCode.NoSuchEntity,
  LimitExceeded: ErrorCode.LimitExceeded,
  EntityAlreadyExists: ErrorCode.EntityAlreadyExists,
  DeleteConflict: ErrorCode.DeleteConflict,
  ValidationError: ErrorCode.ValidationError,
  InvalidInput: ErrorCode.ValidationError,
  InvalidParameterValue: ErrorCode.ValidationError,
  InvalidParameterCombination: ErrorCode.ValidationError,
  MissingParameter: ErrorCode.ValidationError,
  MalformedQueryString: ErrorCode.ValidationError,
};

/** The broker's own message when AWS sends none (`service` is the label, e.g. "AWS IAM"). */
const FALLBACK_MESSAGES: Partial<Record<ErrorCode, (service: string) => string>> = {
  [ErrorCode.NoSuchEntity]: () => 'The IAM entity cannot be found in AWS.',
  [ErrorCode.LimitExceeded]: (service) => `An ${service} quota would be exceeded.`,
  [ErrorCode.EntityAlreadyExists]: () => 'The IAM entity already exists in AWS.',
  [ErrorCode.DeleteConflict]: () => 'The IAM entity cannot be deleted while it has subordinate entities in AWS.',
  [ErrorCode.ValidationError]: (service) => `${service} rejected the request as invalid.`,
  [ErrorCode.MalformedPolicyDocument]: (service) => `${service} rejected the session policy as malformed.`,
  [ErrorCode.PackedPolicyTooLarge]: (service) => `The session policy and tags are too large for ${service}.`,
};

/** Generic SDK error names that say nothing about what went wrong. */
const GENERIC_NAMES = new Set(['Error', 'UnknownError', 'IAMService', 'STSService', 'Service']);

interface SdkLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  cause?: unknown;
  errors?: unknown;
}

/** "NoSuchEntityException" → "NoSuchEntity"; AWS wire codes have no suffix. */
function bareCode(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return v.length > 'Exception'.length && v.endsWith('Exception') ? v.slice(0, -'Exception'.length) : v;
}

/**
 * AWS messages are not supposed to carry secrets, but the broker never forwards a
 * 40+ character base64-ish run (a secret access key, a session token, a signature).
 */
export function scrubAwsMessage(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  const scrubbed = flat.replace(/[A-Za-z0-9+/=]{40,}/g, '[redacted]');
  return scrubbed.length > 300 ? `${scrubbed.slice(0, 300)}…` : scrubbed;
}

/**
 * The AWS error code of an SDK error ("AccessDenied" for an AccessDeniedException or a
 * generic service exception whose wire Code is AccessDenied), or undefined.
 */
export function awsErrorCode(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const err = e as SdkLikeError;
  return [bareCode(err.Code), bareCode(err.name)].find((c): c is string => c !== undefined && !GENERIC_NAMES.has(c));
}

function isNetworkError(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 5) return false;
  const err = e as SdkLikeError;
  if (typeof err.code === 'string' && NETWORK_CODES.has(err.code)) return true;
  if (typeof err.name === 'string' && NETWORK_NAMES.has(err.name)) return true;
  if (typeof err.message === 'string' && /socket hang up/i.test(err.message)) return true;
  // Happy-eyeballs connects fail with an AggregateError of per-address errors.
  if (Array.isArray(err.errors) && err.errors.some((x) => isNetworkError(x, depth + 1))) return true;
  return isNetworkError(err.cause, depth + 1);
}

/**
 * Maps anything an AWS SDK client throws to a DomainError whose message is safe to
 * show the broker's client: it never contains the broker's credentials or a
 * secret; it quotes the AWS request id when AWS answered.
 *
 * | AWS                                                        | DomainError                   | HTTP |
 * |------------------------------------------------------------|-------------------------------|------|
 * | NoSuchEntity                                               | NoSuchEntity                  | 404  |
 * | LimitExceeded                                              | LimitExceeded                 | 409  |
 * | EntityAlreadyExists                                        | EntityAlreadyExists           | 409  |
 * | DeleteConflict                                             | DeleteConflict                | 409  |
 * | ValidationError, InvalidInput, InvalidParameter*, Missing… | ValidationError               | 400  |
 * | MalformedPolicyDocument (STS session policy)               | MalformedPolicyDocument       | 400  |
 * | PackedPolicyTooLarge (STS session policy + tags)           | PackedPolicyTooLarge          | 400  |
 * | Throttling* / HTTP 429 (after the SDK's retries)           | Throttling + Retry-After 2 s  | 429  |
 * | AccessDenied, InvalidClientTokenId, SignatureDoesNotMatch, |                               |      |
 * |   ExpiredToken, UnrecognizedClient, … (broker identity)    | UpstreamError                 | 502  |
 * | no broker credentials (CredentialsProviderError)           | UpstreamError                 | 502  |
 * | ECONNREFUSED, ENOTFOUND, ETIMEDOUT, TimeoutError, socket   |                               |      |
 * |   hang up, … (after the SDK's retries)                     | UpstreamUnavailable           | 503  |
 * | any 5xx / $fault "server"                                  | UpstreamError                 | 502  |
 * | RegionDisabled (STS not activated in the broker's region)  | UpstreamError                 | 502  |
 * | any other AWS 4xx                                          | UpstreamError (names the code)| 502  |
 * | not an AWS/network error (a bug)                           | InternalFailure               | 500  |
 *
 * Throttling is answered 429 rather than 503: AWS asked the broker to slow down,
 * the SDK already backed off, and the honest advice to the caller is "retry later".
 *
 * `service` names the upstream in messages ("AWS IAM is unreachable…", "AWS STS is throttling…").
 */
export function translateAwsError(e: unknown, service = 'AWS IAM'): DomainError {
  if (e instanceof DomainError) return e;
  const err: SdkLikeError = e && typeof e === 'object' ? (e as SdkLikeError) : {};
  const status = typeof err.$metadata?.httpStatusCode === 'number' ? err.$metadata.httpStatusCode : undefined;
  const requestId = typeof err.$metadata?.requestId === 'string' && err.$metadata.requestId !== '' ? err.$metadata.requestId : undefined;
  const rid = requestId ? ` (AWS request id ${requestId})` : '';
  const codes = [bareCode(err.Code), bareCode(err.name)].filter((c): c is string => c !== undefined);
  const has = (set: ReadonlySet<string>) => codes.some((c) => set.has(c));
  const awsCode = awsErrorCode(e);
  const unreachable = () => new DomainError(ErrorCode.UpstreamUnavailable, `${service} is unreachable (connection failed or timed out); try again later.`);

  // No HTTP answer and a socket/timeout failure: AWS was not reached (the SDK already retried).
  if (status === undefined && isNetworkError(e)) return unreachable();
  // Otherwise AWS answered: its code decides, then its HTTP status.
  if (status === 429 || has(THROTTLING_NAMES)) {
    return new DomainError(
      ErrorCode.Throttling,
      `${service} is throttling the broker's requests; try again later${rid}.`,
      AWS_THROTTLING_RETRY_AFTER_SECONDS,
    );
  }
  const direct = codes.map((c) => DIRECT_CODES[c]).find((c) => c !== undefined);
  if (direct) {
    const awsMessage = typeof err.message === 'string' ? scrubAwsMessage(err.message) : '';
    const text = awsMessage && awsMessage !== 'UnknownError' ? awsMessage : FALLBACK_MESSAGES[direct]!(service);
    return new DomainError(direct, `${text.replace(/\.$/, '')}${rid}.`);
  }
  if (has(BROKER_AUTH_NAMES)) {
    return new DomainError(
      ErrorCode.UpstreamError,
      `AWS refused the broker's credentials or permissions (${awsCode})${rid}; an operator must fix the broker's AWS identity.`,
    );
  }
  if (codes.includes('RegionDisabled')) {
    return new DomainError(
      ErrorCode.UpstreamError,
      `${service} is not activated in the broker's AWS region for the target AWS account (RegionDisabled)${rid}; an operator must activate the region or change the broker's region.`,
    );
  }
  if (has(CREDENTIAL_PROVIDER_NAMES)) {
    return new DomainError(ErrorCode.UpstreamError, "The broker has no usable AWS credentials; an operator must configure them.");
  }
  if ((status !== undefined && status >= 500) || err.$fault === 'server') {
    return new DomainError(
      ErrorCode.UpstreamError,
      `${service} failed to process the request (${awsCode ?? 'server error'}${status ? `, HTTP ${status}` : ''})${rid}.`,
    );
  }
  if (status !== undefined || err.$fault === 'client') {
    return new DomainError(
      ErrorCode.UpstreamError,
      `${service} rejected the request (${awsCode ?? 'client error'}${status ? `, HTTP ${status}` : ''})${rid}.`,
    );
  }
  if (isNetworkError(e)) return unreachable();
  return new DomainError(ErrorCode.InternalFailure, `An internal error occurred while calling ${service}.`);
}

/** Quota errors are final, but the SDK classifies the name "LimitExceededException" as throttling and retries it. */
function isQuotaError(e: unknown): boolean {
  const err = e as SdkLikeError | undefined;
  return bareCode(err?.name) === 'LimitExceeded' || bareCode(err?.Code) === 'LimitExceeded';
}

/**
 * Options shared by the broker's AWS SDK clients (IAM, STS), from config.aws. The
 * client gets no credentials (the SDK default provider chain supplies them) and no
 * logger (request and response bodies hold secrets).
 */
export function awsClientOptions(aws: AwsUpstreamConfig) {
  const { endpoint, region, timeoutMs, maxAttempts } = aws;
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    maxAttempts,
    // Standard mode: exponential backoff with jitter; throttling and transient (network, 5xx) errors are retried.
    retryMode: 'standard',
    // Options for the SDK's NodeHttpHandler. Without throwOnRequestTimeout a request timeout only logs a warning.
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  } as const;
}

/** Name of the inline policy AWS's console puts on a role to revoke its older sessions. */
export const REVOKE_OLDER_SESSIONS_POLICY_NAME = 'AWSRevokeOlderSessions';

/**
 * The AWSRevokeOlderSessions document: deny everything to credentials issued before `before`
 * (ISO 8601 in UTC with milliseconds, a W3C date format IAM date conditions accept).
 */
export function revokeOlderSessionsPolicy(before: Date): string {
  const cutoff = before.toISOString();
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } } }],
  });
}

/** The cutoff of an AWSRevokeOlderSessions document (IAM returns it URL-encoded), or undefined. */
function revocationCutoff(document: string | undefined): Date | undefined {
  if (!document) return undefined;
  for (const text of [document, safeDecode(document)]) {
    try {
      const doc = JSON.parse(text) as { Statement?: { Condition?: { DateLessThan?: Record<string, unknown> } }[] };
      const raw = doc.Statement?.[0]?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
      const d = typeof raw === 'string' ? new Date(raw) : undefined;
      return d && !Number.isNaN(d.getTime()) ? d : undefined;
    } catch {
      // try the decoded form
    }
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** "arn:aws:iam::123456789012:role/path/name" → "name"; undefined for anything else. */
export function roleNameFromArn(arn: string): string | undefined {
  const m = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(arn);
  return m?.[1];
}

// ---------------------------------------------------------------------------
// Gateway.
// ---------------------------------------------------------------------------

/**
 * Access-key lifecycle of mirrored AWS IAM users, run against AWS IAM (or an
 * emulator at config.aws.endpoint). The broker's own AWS credentials come from
 * the SDK's default provider chain; they are never logged or echoed.
 */
@Injectable()
export class AwsIamGateway implements OnModuleDestroy {
  private readonly logger = new Logger('AwsIamGateway');
  private iam?: IAMClient;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async createAccessKey(userName: string): Promise<AwsCreatedAccessKey> {
    const out = await this.call('CreateAccessKey', (c) => c.send(new CreateAccessKeyCommand({ UserName: userName })));
    const k = out.AccessKey;
    if (!k?.AccessKeyId || !k.SecretAccessKey || !(k.CreateDate instanceof Date)) throw incomplete('CreateAccessKey', out);
    return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, status: keyStatus(k.Status), createDate: k.CreateDate };
  }

  async updateAccessKey(userName: string, accessKeyId: string, status: AwsAccessKeyStatus): Promise<void> {
    await this.call('UpdateAccessKey', (c) =>
      c.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status })),
    );
  }

  async deleteAccessKey(userName: string, accessKeyId: string): Promise<void> {
    await this.call('DeleteAccessKey', (c) => c.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId })));
  }

  /** All of the user's keys, following Marker pagination. */
  async listAccessKeys(userName: string): Promise<AwsAccessKeySummary[]> {
    const keys: AwsAccessKeySummary[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const out = await this.call('ListAccessKeys', (c) => c.send(new ListAccessKeysCommand({ UserName: userName, Marker: marker })));
      for (const m of out.AccessKeyMetadata ?? []) keys.push(summary(m, out));
      if (!out.IsTruncated) return keys;
      if (!out.Marker || out.Marker === marker) throw incomplete('ListAccessKeys', out);
      marker = out.Marker;
    }
    throw new DomainError(ErrorCode.UpstreamError, `AWS IAM returned more than ${MAX_LIST_PAGES} pages of access keys.`);
  }

  /** AWS answers "N/A" for a key never used: those become absent fields. */
  async getAccessKeyLastUsed(accessKeyId: string): Promise<AwsAccessKeyLastUsed> {
    const out = await this.call('GetAccessKeyLastUsed', (c) => c.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })));
    const u = out.AccessKeyLastUsed;
    const known = (v: string | undefined) => (v && v !== 'N/A' ? v : undefined);
    const res: AwsAccessKeyLastUsed = {};
    if (u?.LastUsedDate instanceof Date) res.lastUsedDate = u.LastUsedDate;
    const serviceName = known(u?.ServiceName);
    if (serviceName) res.serviceName = serviceName;
    const region = known(u?.Region);
    if (region) res.region = region;
    return res;
  }

  /**
   * AWS's documented revocation: an inline policy "AWSRevokeOlderSessions" on the role denying
   * everything to sessions issued before `before`
   * ({"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"<ISO>"}}}).
   * An existing later cutoff is kept (a revocation is never moved back in time).
   * The role must be in the AWS account of the broker's own credentials (IAM acts on the caller's account).
   */
  async revokeOlderSessions(awsRoleArn: string, before: Date): Promise<void> {
    const roleName = roleNameFromArn(awsRoleArn);
    if (!roleName) throw DomainError.validation('The AWS role ARN must look like arn:aws:iam::<12 digits>:role/<name>.');
    if (Number.isNaN(before.getTime())) throw DomainError.validation('The revocation time is not a valid date.');
    const existing = await this.call('GetRolePolicy', (c) =>
      c.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_OLDER_SESSIONS_POLICY_NAME })),
    ).then(
      (out) => revocationCutoff(out.PolicyDocument),
      // No policy yet (NoSuchEntity), or the broker may not read it: write ours.
      () => undefined,
    );
    if (existing && existing.getTime() >= before.getTime()) return;
    await this.call('PutRolePolicy', (c) =>
      c.send(
        new PutRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_OLDER_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(before) }),
      ),
    );
  }

  onModuleDestroy(): void {
    this.iam?.destroy();
    this.iam = undefined;
  }

  private client(): IAMClient {
    if (this.iam) return this.iam;
    // No logger: the SDK logs nothing (request/response bodies include secret access keys).
    const client = new IAMClient(awsClientOptions(this.config.aws));
    // Inside the retry loop: make quota errors final (see isQuotaError).
    client.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (e) {
          if (isQuotaError(e)) throw translateAwsError(e);
          throw e;
        }
      },
      { step: 'finalizeRequest', priority: 'low', name: 'credbrokerQuotaErrorsAreFinal' },
    );
    this.iam = client;
    return client;
  }

  /** Runs one SDK call and translates whatever it throws. */
  private async call<T>(operation: string, send: (client: IAMClient) => Promise<T>): Promise<T> {
    try {
      return await send(this.client());
    } catch (e) {
      const d = translateAwsError(e);
      if (d.code === ErrorCode.UpstreamError || d.code === ErrorCode.UpstreamUnavailable || d.code === ErrorCode.InternalFailure) {
        // Never the raw error: its $response may hold a body with a secret.
        const name = typeof (e as { name?: unknown })?.name === 'string' ? (e as { name: string }).name : typeof e;
        const raw = typeof (e as { message?: unknown })?.message === 'string' ? scrubAwsMessage((e as { message: string }).message) : '';
        d.diagnostic = `${operation} failed: ${d.code}: ${d.message} [${name}: ${raw}]`;
      }
      throw d;
    }
  }
}

function keyStatus(s: string | undefined): AwsAccessKeyStatus {
  // "Expired" (and anything unknown) is not usable: reported as Inactive.
  return s === 'Active' ? 'Active' : 'Inactive';
}

function summary(m: AccessKeyMetadata, out: { $metadata?: { requestId?: string } }): AwsAccessKeySummary {
  if (!m.AccessKeyId || !(m.CreateDate instanceof Date)) throw incomplete('ListAccessKeys', out);
  return { accessKeyId: m.AccessKeyId, status: keyStatus(m.Status), createDate: m.CreateDate };
}

function incomplete(operation: string, out: { $metadata?: { requestId?: string } }): DomainError {
  const rid = out.$metadata?.requestId ? ` (AWS request id ${out.$metadata.requestId})` : '';
  return new DomainError(ErrorCode.UpstreamError, `AWS IAM returned an incomplete ${operation} response${rid}.`);
}
