import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';
import { awsClientOptions, awsErrorCode, scrubAwsMessage, translateAwsError } from './aws-iam.gateway.js';
import { UpstreamCredentialCache } from './upstream-credential-cache.js';

/** Label used in error messages ("AWS STS is unreachable…"). */
const SERVICE = 'AWS STS';

/** What the broker asks AWS STS AssumeRole for (after its own trust and policy checks). */
export interface UpstreamAssumeRoleRequest {
  roleArn: string;
  roleSessionName: string;
  durationSeconds: number;
  policy?: string;
  policyArns?: string[];
  externalId?: string;
  tags?: { Key: string; Value: string }[];
  transitiveTagKeys?: string[];
  sourceIdentity?: string;
}

/** Temporary AWS credentials. The secret access key and session token are secrets: never logged, audited or echoed after issue. */
export interface UpstreamCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleUser: { arn: string; assumedRoleId: string };
  packedPolicySize?: number;
  sourceIdentity?: string;
  /** AWS request id of the call that produced these credentials. */
  requestId?: string;
  /**
   * True when these were handed out before (reused from the cache); false when this call produced
   * them, including callers that shared one concurrent AWS call (they all get the same credentials).
   */
  reused: boolean;
}

/** Separates the caller's share key from the digest of the request in the cache key. */
const KEY_SEPARATOR = '\u0000';

/**
 * A digest of every request field, appended to the caller's share key: two requests share
 * credentials only when they are identical, even if a share key forgot a field. Hashed so the
 * cache keys hold neither the session policy nor the external ID.
 */
function requestDigest(req: UpstreamAssumeRoleRequest): string {
  const canonical = JSON.stringify([
    req.roleArn,
    req.roleSessionName,
    req.durationSeconds,
    req.policy ?? null,
    req.policyArns ?? null,
    req.externalId ?? null,
    req.tags?.map((t) => [t.Key, t.Value]) ?? null,
    req.transitiveTagKeys ?? null,
    req.sourceIdentity ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

const shareKeyOf = (cacheKey: string) => cacheKey.slice(0, cacheKey.lastIndexOf(KEY_SEPARATOR));

/** A caller's own copy (callers sharing one result must not see each other's changes). */
function handOut(c: UpstreamCredentials, reused: boolean): UpstreamCredentials {
  return { ...c, expiration: new Date(c.expiration.getTime()), assumedRoleUser: { ...c.assumedRoleUser }, reused };
}

/**
 * AWS STS AssumeRole with the broker's own AWS credentials (SDK default provider chain; never
 * logged), against AWS or the emulator at config.aws.endpoint.
 *
 * Identical requests (same `shareKey` and same request fields) are served by one AWS call while
 * it is in flight: every concurrent caller receives the same credentials. With
 * config.aws.stsCache.enabled, completed credentials are handed out again (`reused: true`) for at
 * most `maxReuseSeconds` after issue and only while they have `minRemainingSeconds` left.
 */
@Injectable()
export class AwsStsGateway implements OnModuleDestroy {
  private sts?: STSClient;
  private readonly cache: UpstreamCredentialCache<UpstreamCredentials>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.cache = new UpstreamCredentialCache<UpstreamCredentials>({ ...config.aws.stsCache });
  }

  /**
   * Upstream AssumeRole. `shareKey` identifies identical requests (same caller principal, role,
   * session name, session policy, tags…); the caller builds it. Errors are DomainErrors
   * (see translateAwsError): AWS refusing the broker (AccessDenied…) is UpstreamError 502, AWS
   * unreachable UpstreamUnavailable 503, throttling after the SDK's retries Throttling 429, an
   * invalid request (duration above the role's maximum…) ValidationError 400.
   */
  async assumeRole(req: UpstreamAssumeRoleRequest, shareKey: string): Promise<UpstreamCredentials> {
    const key = `${shareKey}${KEY_SEPARATOR}${requestDigest(req)}`;
    const { value, reused } = await this.cache.get(key, () => this.callAssumeRole(req));
    return handOut(value, reused);
  }

  /** Drops reusable entries whose key satisfies the predicate (revocation); returns how many. */
  forget(predicate: (shareKey: string, creds: UpstreamCredentials) => boolean): number {
    return this.cache.forget((key, creds) => predicate(shareKeyOf(key), handOut(creds, true)));
  }

  onModuleDestroy(): void {
    this.cache.clear();
    this.sts?.destroy();
    this.sts = undefined;
  }

  private client(): STSClient {
    // No credentials (default provider chain) and no logger (responses hold secrets).
    this.sts ??= new STSClient(awsClientOptions(this.config.aws));
    return this.sts;
  }

  private async callAssumeRole(req: UpstreamAssumeRoleRequest): Promise<UpstreamCredentials> {
    let out: AssumeRoleCommandOutput;
    try {
      out = await this.client().send(
        new AssumeRoleCommand({
          RoleArn: req.roleArn,
          RoleSessionName: req.roleSessionName,
          DurationSeconds: req.durationSeconds,
          Policy: req.policy,
          PolicyArns: req.policyArns?.length ? req.policyArns.map((arn) => ({ arn })) : undefined,
          ExternalId: req.externalId,
          Tags: req.tags?.length ? req.tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
          TransitiveTagKeys: req.transitiveTagKeys?.length ? req.transitiveTagKeys : undefined,
          SourceIdentity: req.sourceIdentity,
        }),
      );
    } catch (e) {
      throw translateStsError(e);
    }
    const c = out.Credentials;
    const u = out.AssumedRoleUser;
    const requestId = out.$metadata.requestId || undefined;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !(c.Expiration instanceof Date) || Number.isNaN(c.Expiration.getTime()) || !u?.Arn || !u.AssumedRoleId) {
      const rid = requestId ? ` (AWS request id ${requestId})` : '';
      throw new DomainError(ErrorCode.UpstreamError, `${SERVICE} returned an incomplete AssumeRole response${rid}.`);
    }
    const creds: UpstreamCredentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
      assumedRoleUser: { arn: u.Arn, assumedRoleId: u.AssumedRoleId },
      reused: false,
    };
    if (typeof out.PackedPolicySize === 'number') creds.packedPolicySize = out.PackedPolicySize;
    if (out.SourceIdentity) creds.sourceIdentity = out.SourceIdentity;
    if (requestId) creds.requestId = requestId;
    return creds;
  }
}

/**
 * translateAwsError with the STS label; AccessDenied on AssumeRole means the AWS role does not
 * trust the broker's AWS identity (or the external ID does not match): the operator's problem.
 */
export function translateStsError(e: unknown): DomainError {
  const d = translateAwsError(e, SERVICE);
  if (d.code === ErrorCode.UpstreamError && awsErrorCode(e) === 'AccessDenied') {
    const meta = (e as { $metadata?: { requestId?: unknown } }).$metadata;
    const rid = typeof meta?.requestId === 'string' && meta.requestId ? ` (AWS request id ${meta.requestId})` : '';
    const denied = new DomainError(
      ErrorCode.UpstreamError,
      `AWS STS refused to let the broker assume the AWS role (AccessDenied)${rid}; the AWS role's trust policy must allow the broker's AWS identity (and the external ID, if it requires one).`,
    );
    return withDiagnostic(denied, e);
  }
  return d.code === ErrorCode.UpstreamError || d.code === ErrorCode.UpstreamUnavailable || d.code === ErrorCode.InternalFailure
    ? withDiagnostic(d, e)
    : d;
}

/** Server-side detail for the transport's log (never the raw error: its $response may hold a body with a secret). */
function withDiagnostic(d: DomainError, e: unknown): DomainError {
  if (e instanceof DomainError) return d;
  const name = typeof (e as { name?: unknown })?.name === 'string' ? (e as { name: string }).name : typeof e;
  const raw = typeof (e as { message?: unknown })?.message === 'string' ? scrubAwsMessage((e as { message: string }).message) : '';
  d.diagnostic = `AssumeRole failed: ${d.code}: ${d.message} [${name}: ${raw}]`;
  return d;
}
