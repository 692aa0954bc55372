import { Inject, Injectable } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { assumedRoleArn, federatedUserArn, parseArn } from '../../common/arn.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { sha256Hex } from '../../common/ids.js';
import { newSessionCredentialMaterial } from '../../common/sts/credential-material.js';
import { parsePolicyDocument, type PolicyDocument } from '../../common/policy/policy-document.js';
import { evaluatePolicies, type ConditionValue } from '../../common/policy/policy-evaluator.js';
import {
  isSessionTagValue,
  isSourceIdentity,
  packedPolicySize,
  parseAssumeRoleInput,
  parseAssumeRoleWithWebIdentityInput,
  parseGetFederationTokenInput,
  parseGetSessionTokenInput,
  resolveDuration,
  type SessionTag,
} from '../../common/sts/sts-params.js';
import { actorOf, AuditService, type AuditActor, type AuditEntry } from '../audit/audit.service.js';
import { FailureAggregator } from '../audit/failure-aggregator.js';
import { AwsStsGateway, type UpstreamCredentials } from '../aws/aws-sts.gateway.js';
import { MfaService } from '../mfa/mfa.service.js';
import { WebIdentityVerifier, type VerifiedWebIdentity } from '../oidc/web-identity-verifier.js';
import { AuthorizationService } from '../policies/authorization.service.js';
import { RolesRepository, type RoleRow } from '../roles/roles.repository.js';
import { IssuanceWriter, type Issuance } from './issuance-writer.js';
import { StsSessionsRepository, type NewStsSession } from './sts-sessions.repository.js';
import type { AssumeRoleResult, AssumeRoleWithWebIdentityResult, CallerIdentity, GetFederationTokenResult, GetSessionTokenResult, StsCredentials } from './sts.types.js';

/** AWS's limits on session durations (seconds). */
export const DURATIONS = {
  sessionToken: { min: 900, max: 129_600, default: 43_200 },
  federation: { min: 900, max: 129_600, default: 43_200 },
  /** Root's session tokens and federation tokens are capped at one hour (longer requests get one hour, as in AWS). */
  rootMax: 3600,
  roleDefault: 3600,
  /** A role session obtained with a role session (role chaining). */
  chainedMax: 3600,
} as const;

interface RoleSessionRequest {
  role: RoleRow;
  sessionName: string;
  durationSeconds: number;
  policy?: string;
  policyArns: string[];
  tags: SessionTag[];
  transitiveTagKeys: string[];
  sourceIdentity?: string;
  externalId?: string;
  mfaAt: Date | null;
  /** The immediate caller (ARN) and the long-term identity at the start of the chain. */
  callerArn: string;
  sourceArn: string;
  parentAccessKeyId: string | null;
  containerTokenId?: string;
  actor: AuditActor;
  action: 'sts:AssumeRole' | 'sts:AssumeRoleWithWebIdentity';
  details: Record<string, unknown>;
  client: ClientInfo;
}

const denied = (action: string, arn: string, caller: string) =>
  new DomainError(ErrorCode.AccessDenied, `User: ${caller} is not authorized to perform: ${action} on resource: ${arn}`);

/**
 * The STS operations, for every transport. Rules as in AWS STS: who may call
 * what, trust policies, session policies, durations, role chaining, MFA. Each
 * issued credential and its audit record commit in one transaction; a refusal
 * is audited too. Local roles get broker-minted credentials; roles bound to an
 * AWS role get AWS's, through the upstream gateway.
 */
@Injectable()
export class StsService {
  constructor(
    private readonly writer: IssuanceWriter,
    private readonly audit: AuditService,
    private readonly sessions: StsSessionsRepository,
    private readonly roles: RolesRepository,
    private readonly authz: AuthorizationService,
    private readonly mfa: MfaService,
    private readonly webIdentity: WebIdentityVerifier,
    private readonly upstream: AwsStsGateway,
    @Inject(SecretBox) private readonly box: SecretBox,
    private readonly failures: FailureAggregator,
  ) {}

  callerIdentity(auth: AuthContext): CallerIdentity {
    return { UserId: auth.principal.userId, Account: auth.accountId ?? '', Arn: auth.principal.arn };
  }

  // ---------------------------------------------------------------------------------------------
  // GetSessionToken
  // ---------------------------------------------------------------------------------------------

  async getSessionToken(auth: AuthContext, raw: unknown, client: ClientInfo): Promise<GetSessionTokenResult> {
    const input = parseGetSessionTokenInput(raw);
    const accountId = this.accountOf(auth);
    return this.refusalsAudited(auth, 'sts:GetSessionToken', null, client, async () => {
      if (auth.session || (auth.principal.kind !== 'IAMUser' && auth.principal.kind !== 'Root')) {
        throw new DomainError(ErrorCode.AccessDenied, 'Cannot call GetSessionToken with session credentials');
      }
      const isRoot = auth.principal.kind === 'Root';
      let duration = resolveDuration(input.DurationSeconds, DURATIONS.sessionToken);
      if (isRoot) duration = Math.min(input.DurationSeconds ?? DURATIONS.rootMax, DURATIONS.rootMax);
      const mfaAt = await this.checkMfa(auth, input.SerialNumber, input.TokenCode);
      const { credentials, row } = this.mintLocal({
        accountId,
        type: 'SessionToken',
        arn: auth.principal.arn,
        callerArn: auth.principal.arn,
        sourceArn: auth.principal.arn,
        principalId: auth.principal.id,
        durationSeconds: duration,
        mfaAt,
      });
      await this.persist({
        row,
        audit: this.issuedRecord(auth, 'sts:GetSessionToken', auth.principal.arn, client, row, { durationSeconds: duration }),
      });
      return { Credentials: credentials };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // GetFederationToken
  // ---------------------------------------------------------------------------------------------

  async getFederationToken(auth: AuthContext, raw: unknown, client: ClientInfo): Promise<GetFederationTokenResult> {
    const input = parseGetFederationTokenInput(raw);
    const accountId = this.accountOf(auth);
    const arn = federatedUserArn(accountId, input.Name);
    return this.refusalsAudited(auth, 'sts:GetFederationToken', arn, client, async () => {
      if (auth.session || (auth.principal.kind !== 'IAMUser' && auth.principal.kind !== 'Root')) {
        throw new DomainError(ErrorCode.AccessDenied, 'GetFederationToken can only be called with long-term credentials of an IAM user or the root user.');
      }
      if (!(await this.authz.identityAllows(auth, 'sts:GetFederationToken', arn, client))) throw denied('sts:GetFederationToken', arn, auth.principal.arn);
      let duration = resolveDuration(input.DurationSeconds, DURATIONS.federation);
      if (auth.principal.kind === 'Root') duration = Math.min(duration, DURATIONS.rootMax);
      const packed = packedPolicySize({ Policy: input.Policy, PolicyArns: input.PolicyArns, Tags: input.Tags });
      const { credentials, row } = this.mintLocal({
        accountId,
        type: 'FederatedUser',
        arn,
        callerArn: auth.principal.arn,
        sourceArn: auth.principal.arn,
        principalId: auth.principal.id,
        sessionName: input.Name,
        durationSeconds: duration,
        policy: input.Policy,
        policyArns: input.PolicyArns,
        tags: tagMap(input.Tags),
        mfaAt: auth.mfa.present ? (auth.mfa.authenticatedAt ?? new Date()) : null,
      });
      await this.persist({
        row,
        audit: this.issuedRecord(auth, 'sts:GetFederationToken', arn, client, row, { durationSeconds: duration, packedPolicySize: packed }),
      });
      return { Credentials: credentials, FederatedUser: { FederatedUserId: `${accountId}:${input.Name}`, Arn: arn }, PackedPolicySize: packed };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // AssumeRole
  // ---------------------------------------------------------------------------------------------

  async assumeRole(auth: AuthContext, raw: unknown, client: ClientInfo, opts: { containerTokenId?: string } = {}): Promise<AssumeRoleResult> {
    const input = parseAssumeRoleInput(raw);
    return this.refusalsAudited(auth, 'sts:AssumeRole', input.RoleArn, client, async () => {
      const roleAccount = parseArn(input.RoleArn)!.accountId;
      const role = await this.roles.findByArnForIssuance(roleAccount, input.RoleArn);
      // A missing role and a refused one look the same to the caller: no probing other accounts.
      if (!role) throw denied('sts:AssumeRole', input.RoleArn, auth.principal.arn);
      if (auth.session?.type === 'FederatedUser') throw denied('sts:AssumeRole', input.RoleArn, auth.principal.arn);

      const mfaAt = (await this.checkMfa(auth, input.SerialNumber, input.TokenCode)) ?? (auth.mfa.present ? (auth.mfa.authenticatedAt ?? new Date()) : null);
      // A source identity, once set, stays with every session chained from it.
      const inherited = auth.session?.sourceIdentity;
      if (inherited && input.SourceIdentity && input.SourceIdentity !== inherited) {
        throw new DomainError(ErrorCode.AccessDenied, 'The source identity of a role session cannot be changed by role chaining.');
      }
      const sourceIdentity = input.SourceIdentity ?? inherited;

      // What this request adds to the caller's condition keys.
      const requestKeys: Record<string, ConditionValue> = {
        'aws:MultiFactorAuthPresent': mfaAt !== null,
        'sts:RoleSessionName': input.RoleSessionName,
        ...(input.ExternalId !== undefined ? { 'sts:ExternalId': input.ExternalId } : {}),
        ...(sourceIdentity !== undefined ? { 'sts:SourceIdentity': sourceIdentity } : {}),
        ...requestTagKeys(input.Tags),
      };
      if (mfaAt) requestKeys['aws:MultiFactorAuthAge'] = Math.floor((Date.now() - mfaAt.getTime()) / 1000);
      // The caller's condition keys and this request's, built once for both checks.
      const keys = Object.assign(this.authz.conditionKeys(auth, client), requestKeys);

      // The caller's own account must allow it (root may do anything in its account)…
      if (auth.principal.kind !== 'Root' && !(await this.authz.identityAllowsWith(auth, 'sts:AssumeRole', role.arn, keys))) {
        throw denied('sts:AssumeRole', role.arn, auth.principal.arn);
      }
      // …and the role's trust policy must name it.
      const trustActions = ['sts:AssumeRole', ...(input.Tags.length ? ['sts:TagSession'] : []), ...(input.SourceIdentity ? ['sts:SetSourceIdentity'] : [])];
      const principals = auth.session?.roleArn ? [auth.session.roleArn, auth.principal.arn] : [auth.principal.arn];
      if (!this.trusts(role, trustActions, 'AWS', principals, keys)) throw denied('sts:AssumeRole', role.arn, auth.principal.arn);

      const chained = auth.session?.type === 'AssumedRole';
      const durationSeconds = chained
        ? resolveDuration(input.DurationSeconds, { min: 900, max: DURATIONS.chainedMax, default: DURATIONS.chainedMax, maxReason: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.' })
        : resolveDuration(input.DurationSeconds, { min: 900, max: role.maxSessionDuration, default: Math.min(DURATIONS.roleDefault, role.maxSessionDuration), maxReason: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' });

      return this.issueRoleSession({
        role,
        sessionName: input.RoleSessionName,
        durationSeconds,
        policy: input.Policy,
        policyArns: input.PolicyArns,
        tags: input.Tags,
        transitiveTagKeys: input.TransitiveTagKeys,
        sourceIdentity,
        externalId: input.ExternalId,
        mfaAt,
        callerArn: auth.principal.arn,
        sourceArn: auth.session?.sourceArn ?? auth.principal.arn,
        parentAccessKeyId: auth.session ? (auth.accessKeyId ?? null) : null,
        containerTokenId: opts.containerTokenId,
        actor: actorOf(auth),
        action: 'sts:AssumeRole',
        details: { chained, ...(opts.containerTokenId ? { containerTokenId: opts.containerTokenId } : {}) },
        client,
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // AssumeRoleWithWebIdentity
  // ---------------------------------------------------------------------------------------------

  async assumeRoleWithWebIdentity(raw: unknown, client: ClientInfo): Promise<AssumeRoleWithWebIdentityResult> {
    const input = parseAssumeRoleWithWebIdentityInput(raw);
    const roleAccount = parseArn(input.RoleArn)!.accountId;
    const role = await this.roles.findByArnForIssuance(roleAccount, input.RoleArn);
    const refuse = async (err: DomainError, actor: AuditActor | null, details: Record<string, unknown>, tokenRejected = false): Promise<never> => {
      // Denials are audited in the account that owns the role (when there is one), with the reason.
      if (role) {
        const entry: AuditEntry = {
          chain: role.accountId,
          action: 'sts:AssumeRoleWithWebIdentity',
          outcome: 'denied',
          errorCode: err.code,
          actor,
          resourceArn: role.arn,
          client,
          details: { ...details, reason: err.message.slice(0, 300) },
        };
        // A token that fails verification is a failed authentication: identical ones (same reason, address) are counted on one record.
        if (tokenRejected) await this.failures.failed(entry, err.message.slice(0, 300));
        else await this.audit.record(entry);
      }
      throw err;
    };
    const notAuthorized = new DomainError(ErrorCode.AccessDenied, 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    if (!role) throw notAuthorized;

    let id: VerifiedWebIdentity;
    try {
      id = await this.webIdentity.verify(role.accountId, input.WebIdentityToken);
    } catch (e) {
      if (e instanceof DomainError) return refuse(e, null, { roleSessionName: input.RoleSessionName }, true);
      throw e;
    }
    const actor: AuditActor = { arn: id.provider.arn, type: 'WebIdentityUser', sessionName: input.RoleSessionName };
    const who = { subject: id.subject, audience: id.audience, issuer: id.issuer };
    const keys: Record<string, ConditionValue> = {
      ...claimKeys(id),
      'sts:RoleSessionName': input.RoleSessionName,
      'aws:FederatedProvider': id.provider.arn,
      'aws:SourceIp': client.sourceIp,
      ...(client.userAgent ? { 'aws:UserAgent': client.userAgent } : {}),
      'aws:CurrentTime': new Date().toISOString(),
      'aws:EpochTime': Math.floor(Date.now() / 1000),
    };
    if (!this.trusts(role, ['sts:AssumeRoleWithWebIdentity'], 'Federated', [id.provider.arn], keys)) {
      return refuse(notAuthorized, actor, { ...who, reason: 'trust policy' });
    }
    let mapped: { tags: SessionTag[]; sourceIdentity?: string };
    try {
      mapped = mapClaims(role, id.claims);
    } catch (e) {
      if (e instanceof DomainError) return refuse(e, actor, who);
      throw e;
    }
    const durationSeconds = resolveDuration(input.DurationSeconds, {
      min: 900,
      max: role.maxSessionDuration,
      default: Math.min(DURATIONS.roleDefault, role.maxSessionDuration),
      maxReason: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    });
    const subjectArn = `${id.provider.arn}/${id.subject}`.slice(0, 2048);
    const result = await this.issueRoleSession({
      role,
      sessionName: input.RoleSessionName,
      durationSeconds,
      policy: input.Policy,
      policyArns: input.PolicyArns,
      tags: mapped.tags,
      transitiveTagKeys: [],
      sourceIdentity: mapped.sourceIdentity,
      mfaAt: null,
      callerArn: subjectArn,
      sourceArn: subjectArn,
      parentAccessKeyId: null,
      actor: { ...actor, sourceIdentity: mapped.sourceIdentity },
      action: 'sts:AssumeRoleWithWebIdentity',
      details: who,
      client,
    });
    return { ...result, SubjectFromWebIdentityToken: id.subject, Provider: id.provider.arn, Audience: id.audience };
  }

  // ---------------------------------------------------------------------------------------------
  // Issuing
  // ---------------------------------------------------------------------------------------------

  private async issueRoleSession(r: RoleSessionRequest): Promise<AssumeRoleResult> {
    const packed = packedPolicySize({ Policy: r.policy, PolicyArns: r.policyArns, Tags: r.tags });
    const arn = assumedRoleArn(r.role.accountId, r.role.name, r.sessionName);
    // Built as literals (no `{ ...x, more }`: on this V8 each property after a spread costs ~0.7 µs).
    const fields = (sessionArn: string): SessionFields => ({
      arn: sessionArn,
      accountId: r.role.accountId,
      type: 'AssumedRole' as const,
      callerArn: r.callerArn,
      sourceArn: r.sourceArn,
      parentAccessKeyId: r.parentAccessKeyId,
      principalId: r.role.id,
      roleId: r.role.id,
      sessionName: r.sessionName,
      sourceIdentity: r.sourceIdentity,
      tags: tagMap(r.tags),
      policy: r.policy,
      policyArns: r.policyArns,
      mfaAt: r.mfaAt,
      durationSeconds: r.durationSeconds,
      containerTokenId: r.containerTokenId,
    });
    const details = Object.assign({}, r.details, { durationSeconds: r.durationSeconds, packedPolicySize: packed });
    if (r.role.awsRoleArn) {
      const up = await this.callUpstream(r);
      const row = sessionRow(
        fields(up.assumedRoleUser.arn),
        { accessKeyId: up.accessKeyId, issuer: 'aws', secretCiphertext: null, tokenHash: null, upstreamRequestId: up.requestId ?? null, issuedAt: new Date(), expiresAt: up.expiration },
      );
      await this.persist({ row, audit: this.issuedRecordFor(r.actor, r.action, r.role.arn, r.client, row, Object.assign(details, { reused: up.reused })) });
      return {
        Credentials: { AccessKeyId: up.accessKeyId, SecretAccessKey: up.secretAccessKey, SessionToken: up.sessionToken, Expiration: up.expiration },
        AssumedRoleUser: up.assumedRoleUser.arn ? { Arn: up.assumedRoleUser.arn, AssumedRoleId: up.assumedRoleUser.assumedRoleId } : { Arn: arn, AssumedRoleId: `${r.role.id}:${r.sessionName}` },
        PackedPolicySize: up.packedPolicySize ?? packed,
        ...(r.sourceIdentity ? { SourceIdentity: r.sourceIdentity } : {}),
      };
    }
    const { credentials, row } = this.mintLocal(fields(arn));
    await this.persist({ row, audit: this.issuedRecordFor(r.actor, r.action, r.role.arn, r.client, row, details) });
    return {
      Credentials: credentials,
      AssumedRoleUser: { Arn: arn, AssumedRoleId: `${r.role.id}:${r.sessionName}` },
      PackedPolicySize: packed,
      ...(r.sourceIdentity ? { SourceIdentity: r.sourceIdentity } : {}),
    };
  }

  private async callUpstream(r: RoleSessionRequest): Promise<UpstreamCredentials> {
    // Broker customer managed policies live in the broker, not in AWS: only AWS managed ones can be passed on.
    const foreign = r.policyArns.filter((a) => !a.startsWith('arn:aws:iam::aws:policy/'));
    if (foreign.length) throw DomainError.validation('Roles bound to an AWS role accept only AWS managed policies (arn:aws:iam::aws:policy/…) as PolicyArns.');
    // Identical requests (same caller, role, session name, session policy, tags, duration…) share one upstream call.
    const shareKey = sha256Hex(
      JSON.stringify([r.sourceArn, r.callerArn, r.role.arn, r.role.awsRoleArn, r.sessionName, r.durationSeconds, r.policy ?? '', r.policyArns, r.tags, r.transitiveTagKeys, r.sourceIdentity ?? '', r.externalId ?? '']),
    );
    const request = {
      roleArn: r.role.awsRoleArn!,
      roleSessionName: r.sessionName,
      durationSeconds: r.durationSeconds,
      policy: r.policy,
      policyArns: r.policyArns.length ? r.policyArns : undefined,
      externalId: r.externalId,
      tags: r.tags.length ? r.tags : undefined,
      transitiveTagKeys: r.transitiveTagKeys.length ? r.transitiveTagKeys : undefined,
      sourceIdentity: r.sourceIdentity,
    };
    try {
      const call = () => this.upstream.assumeRole(request, shareKey);
      const up = await call();
      // Another instance may have revoked a credential this instance still holds for reuse.
      if (up.reused && (await this.sessions.isRevoked(r.role.accountId, up.accessKeyId))) {
        this.upstream.forget((_key, c) => c.accessKeyId === up.accessKeyId);
        return await call();
      }
      return up;
    } catch (e) {
      if (e instanceof DomainError) {
        await this.audit.record({ chain: r.role.accountId, action: r.action, outcome: 'error', errorCode: e.code, actor: r.actor, resourceArn: r.role.arn, client: r.client, details: { issuer: 'aws', reason: e.message.slice(0, 300) } });
      }
      throw e;
    }
  }

  /** Mints local-issuer credentials: ASIA key id, secret (stored encrypted) and a session token bound to them (only its hash stored). */
  private mintLocal(s: SessionFields): { credentials: StsCredentials; row: NewStsSession } {
    const { accessKeyId, secretAccessKey: secret, sessionToken: token } = newSessionCredentialMaterial();
    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + s.durationSeconds * 1000);
    const row = sessionRow(s, {
      accessKeyId,
      issuer: 'local',
      secretCiphertext: this.box.encrypt(secret, accessKeyId),
      tokenHash: sha256Hex(token),
      upstreamRequestId: null,
      issuedAt,
      expiresAt,
    });
    return { credentials: { AccessKeyId: accessKeyId, SecretAccessKey: secret, SessionToken: token, Expiration: expiresAt }, row };
  }

  /** The session row and its audit record commit together (group commit); if the audit write fails nothing is issued. */
  private persist(i: Issuance): Promise<void> {
    return this.writer.write(i);
  }

  private issuedRecord(auth: AuthContext, action: string, resourceArn: string, client: ClientInfo, row: NewStsSession, details: Record<string, unknown>): AuditEntry {
    return this.issuedRecordFor(actorOf(auth), action, resourceArn, client, row, details);
  }

  /** What an issuance record says: never the secret or the token; the session policy only as a hash. */
  private issuedRecordFor(actor: AuditActor, action: string, resourceArn: string, client: ClientInfo, row: NewStsSession, details: Record<string, unknown>): AuditEntry {
    return {
      chain: row.accountId,
      action,
      outcome: 'success',
      actor,
      resourceArn,
      client,
      // Object.assign, not `{ ...details, … }` (slow on this V8, see issueRoleSession); these fields win over the caller's.
      details: Object.assign({}, details, {
        issuedAccessKeyId: row.accessKeyId,
        sessionArn: row.arn,
        sessionName: row.sessionName,
        sourceIdentity: row.sourceIdentity,
        tags: row.tags,
        sessionPolicySha256: row.sessionPolicy ? sha256Hex(row.sessionPolicy) : null,
        policyArns: row.policyArns,
        expiresAt: row.expiresAt.toISOString(),
        issuer: row.issuer,
        upstreamRequestId: row.upstreamRequestId,
        mfa: row.mfaAuthenticatedAt !== null,
      }),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Rules
  // ---------------------------------------------------------------------------------------------

  private accountOf(auth: AuthContext): string {
    if (!auth.accountId) throw new DomainError(ErrorCode.AccessDenied, 'STS operations need credentials of an account principal.');
    return auth.accountId;
  }

  /** Does the role's trust policy allow every action for one of the principal's identities? */
  private trusts(role: RoleRow, actions: string[], type: 'AWS' | 'Federated', ids: string[], keys: Record<string, ConditionValue>): boolean {
    const trust = this.trustPolicyOf(role);
    if (!trust) return false;
    return ids.some((id) => actions.every((action) => evaluatePolicies([trust], { action, resource: role.arn, principal: { type, id }, keys }) === 'Allow'));
  }

  /** Parsed trust policies by their text (documents are immutable; parsing once per distinct text). */
  private readonly trustDocs = new Map<string, PolicyDocument | null>();

  private trustPolicyOf(role: RoleRow): PolicyDocument | null {
    let doc = this.trustDocs.get(role.trustPolicy);
    if (doc === undefined) {
      try {
        doc = parsePolicyDocument(role.trustPolicy, { kind: 'trust' });
      } catch {
        doc = null;
      }
      if (this.trustDocs.size >= 2000) this.trustDocs.delete(this.trustDocs.keys().next().value!);
      this.trustDocs.set(role.trustPolicy, doc);
    }
    return doc;
  }

  /** SerialNumber + TokenCode: the caller's own enabled device and a fresh code. Returns when MFA passed, null when not given. */
  private async checkMfa(auth: AuthContext, serial: string | undefined, code: string | undefined): Promise<Date | null> {
    if (!serial || !code) return null;
    const userId = auth.session?.baseUserId ?? auth.principal.id;
    const isUser = auth.principal.kind === 'IAMUser' || auth.principal.kind === 'Root';
    if (!isUser || !auth.accountId || !(await this.mfa.verifyDeviceCode(auth.accountId, userId, serial, code))) {
      throw new DomainError(ErrorCode.AccessDenied, 'MultiFactorAuthentication failed with invalid MFA one time pass code.');
    }
    return new Date();
  }

  /** Runs an operation, auditing a refusal (AccessDenied and friends) in the caller's account before it propagates. */
  private async refusalsAudited<T>(auth: AuthContext, action: string, resourceArn: string | null, client: ClientInfo, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof DomainError && e.code !== ErrorCode.UpstreamError && e.code !== ErrorCode.UpstreamUnavailable && e.code !== ErrorCode.Throttling && auth.accountId) {
        await this.audit.record({
          chain: auth.accountId,
          action,
          outcome: 'denied',
          errorCode: e.code,
          actor: actorOf(auth),
          resourceArn,
          client,
          details: { reason: e.message.slice(0, 300) },
        });
      }
      throw e;
    }
  }
}

function tagMap(tags: SessionTag[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const t of tags) m[t.Key] = t.Value;
  return m;
}

function requestTagKeys(tags: SessionTag[]): Record<string, ConditionValue> {
  if (!tags.length) return {};
  const keys: Record<string, ConditionValue> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) keys[`aws:RequestTag/${t.Key}`] = t.Value;
  return keys;
}

/** Web identity condition keys: every scalar claim as `<issuer host/path>:<claim>` (sub, aud, repository, ref, environment…). */
function claimKeys(id: VerifiedWebIdentity): Record<string, ConditionValue> {
  const prefix = id.issuer.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  const keys: Record<string, ConditionValue> = {};
  for (const [claim, v] of Object.entries(id.claims)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') keys[`${prefix}:${claim}`] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) keys[`${prefix}:${claim}`] = v as string[];
  }
  keys[`${prefix}:aud`] = id.audience;
  keys[`${prefix}:sub`] = id.subject;
  return keys;
}


/** The role's claim mapping applied to a verified token: session tags and source identity. */
function mapClaims(role: RoleRow, claims: Record<string, unknown>): { tags: SessionTag[]; sourceIdentity?: string } {
  const mapping = (role.claimMapping ?? {}) as { sessionTags?: Record<string, string>; sourceIdentity?: string };
  const scalar = (name: string): string | undefined => {
    const v = claims[name];
    return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  };
  const tags: SessionTag[] = [];
  for (const [key, claim] of Object.entries(mapping.sessionTags ?? {})) {
    const value = scalar(claim);
    if (value === undefined) continue;
    if (!isSessionTagValue(value)) {
      throw new DomainError(ErrorCode.IDPRejectedClaim, `The token's claim "${claim}" cannot be a session tag value.`);
    }
    tags.push({ Key: key, Value: value });
  }
  let sourceIdentity: string | undefined;
  if (mapping.sourceIdentity) {
    sourceIdentity = scalar(mapping.sourceIdentity);
    if (sourceIdentity !== undefined && !isSourceIdentity(sourceIdentity)) {
      throw new DomainError(ErrorCode.IDPRejectedClaim, `The token's claim "${mapping.sourceIdentity}" cannot be a source identity (2–64 characters of [\\w+=,.@-]).`);
    }
  }
  return { tags, sourceIdentity };
}

/** What every session row says, whichever issuer minted the credential. */
interface SessionFields {
  accountId: string;
  type: 'SessionToken' | 'AssumedRole' | 'FederatedUser';
  arn: string;
  callerArn: string;
  sourceArn: string;
  principalId: string;
  roleId?: string;
  parentAccessKeyId?: string | null;
  sessionName?: string;
  sourceIdentity?: string;
  tags?: Record<string, string>;
  policy?: string;
  policyArns?: string[];
  mfaAt: Date | null;
  durationSeconds: number;
  containerTokenId?: string;
}

type IssuerFields = Pick<NewStsSession, 'accessKeyId' | 'issuer' | 'secretCiphertext' | 'tokenHash' | 'upstreamRequestId' | 'issuedAt' | 'expiresAt'>;

function sessionRow(s: SessionFields, issued: IssuerFields): NewStsSession {
  // Field by field (no spread): one object shape for every row.
  return {
    accessKeyId: issued.accessKeyId,
    issuer: issued.issuer,
    secretCiphertext: issued.secretCiphertext,
    tokenHash: issued.tokenHash,
    upstreamRequestId: issued.upstreamRequestId,
    issuedAt: issued.issuedAt,
    expiresAt: issued.expiresAt,
    accountId: s.accountId,
    type: s.type,
    arn: s.arn,
    callerArn: s.callerArn,
    sourceArn: s.sourceArn,
    parentAccessKeyId: s.parentAccessKeyId ?? null,
    principalId: s.principalId,
    roleId: s.roleId ?? null,
    sessionName: s.sessionName ?? null,
    sourceIdentity: s.sourceIdentity ?? null,
    tags: s.tags ?? {},
    sessionPolicy: s.policy ?? null,
    policyArns: s.policyArns ?? [],
    mfaAuthenticatedAt: s.mfaAt,
    containerTokenId: s.containerTokenId ?? null,
  };
}
