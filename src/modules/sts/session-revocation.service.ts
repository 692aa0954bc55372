import { Injectable, Logger } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { PrismaService } from '../../db/prisma.service.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { AwsIamGateway } from '../aws/aws-iam.gateway.js';
import { AwsStsGateway } from '../aws/aws-sts.gateway.js';
import { RolesRepository, type RoleRow } from '../roles/roles.repository.js';
import type { ListSessionsQueryDto, RevokeSessionsDto } from './dto/sts-sessions.dto.js';
import { SessionCredentialsResolver } from './session-credentials.resolver.js';
import { StsSessionsRepository, type RevocationScope, type StsSessionRow } from './sts-sessions.repository.js';

export interface UpstreamRevocation {
  roleArn: string;
  awsRoleArn: string;
  /** AWS's deny-by-aws:TokenIssueTime policy is on the AWS role. */
  applied: boolean;
  error?: string;
}

/**
 * Revokes temporary credentials: one session (with its chained sessions),
 * every session of a principal, of a role, of the account, optionally only
 * those issued before a time. Local-issuer credentials stop working on every
 * instance within a second (the resolver's cache bound); AWS credentials
 * cannot be recalled, so the broker records the revocation and puts AWS's
 * documented deny-by-`aws:TokenIssueTime` policy on the bound AWS role when it
 * is allowed to (that denies every session of the AWS role issued before now,
 * which is coarser than the scope asked for; the answer says so).
 */
@Injectable()
export class SessionRevocationService {
  private readonly log = new Logger('SessionRevocation');

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly sessions: StsSessionsRepository,
    private readonly roles: RolesRepository,
    private readonly resolver: SessionCredentialsResolver,
    private readonly upstream: AwsStsGateway,
    private readonly iam: AwsIamGateway,
  ) {}

  async list(accountId: string, q: ListSessionsQueryDto) {
    const role = q.roleName ? await this.role(accountId, q.roleName) : undefined;
    const rows = await this.sessions.list(accountId, { roleId: role?.id, principalArn: q.principalArn, activeOnly: q.active !== 'false', limit: q.limit ?? 100 });
    return { sessions: rows.map(sessionView) };
  }

  async revoke(auth: AuthContext, accountId: string, dto: RevokeSessionsDto, client: ClientInfo) {
    // null is "not given" (class-validator's @IsOptional lets it through); an empty scope must never mean "everything".
    const given = [dto.accessKeyId, dto.principalArn, dto.roleName, dto.all].filter((v) => v !== undefined && v !== null).length;
    if (given !== 1) throw DomainError.validation('Name exactly one of accessKeyId, principalArn, roleName or all.');
    const role = dto.roleName ? await this.role(accountId, dto.roleName) : undefined;
    const scope: RevocationScope = {
      accessKeyId: dto.accessKeyId ?? undefined,
      principalArn: dto.principalArn ?? undefined,
      roleId: role?.id,
      issuedBefore: dto.issuedBefore ? new Date(dto.issuedBefore) : undefined,
    };
    if (!scope.accessKeyId && !scope.principalArn && !scope.roleId && dto.all !== true) throw DomainError.validation('Name exactly one of accessKeyId, principalArn, roleName or all.');
    const at = new Date();
    const revoked = await this.prisma.transaction(async (tx) => {
      const rows = await this.sessions.revoke(tx, accountId, scope, at);
      await this.audit.append(tx, {
        chain: accountId,
        action: 'sts:RevokeSessions',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: role?.arn ?? null,
        client,
        details: { scope: { ...dto }, revoked: rows.length, accessKeyIds: rows.slice(0, 100).map((r) => r.accessKeyId) },
      });
      return rows;
    });
    const ids = revoked.map((r) => r.accessKeyId);
    this.resolver.invalidate(ids);
    const upstreamIds = new Set(revoked.filter((r) => r.issuer === 'aws').map((r) => r.accessKeyId));
    if (upstreamIds.size) this.upstream.forget((_key, creds) => upstreamIds.has(creds.accessKeyId));
    const upstream = await this.revokeUpstream(auth, accountId, role, revoked, at, client);
    return { revoked: ids.length, accessKeyIds: ids, upstream };
  }

  /** AWS roles touched by the revocation get the deny-older-sessions policy. */
  private async revokeUpstream(auth: AuthContext, accountId: string, role: RoleRow | undefined, revoked: { issuer: string; roleId: string | null }[], at: Date, client: ClientInfo): Promise<UpstreamRevocation[]> {
    const roleIds = new Set(revoked.filter((r) => r.issuer === 'aws' && r.roleId).map((r) => r.roleId!));
    if (role?.awsRoleArn) roleIds.add(role.id);
    const out: UpstreamRevocation[] = [];
    for (const id of roleIds) {
      const r = id === role?.id ? role : await this.roles.findById(accountId, id);
      if (!r?.awsRoleArn) continue;
      try {
        await this.iam.revokeOlderSessions(r.awsRoleArn, at);
        out.push({ roleArn: r.arn, awsRoleArn: r.awsRoleArn, applied: true });
        // AWS now denies every session of the AWS role issued before `at`: none of them may be handed out again.
        const [, , , , awsAccount, resource] = r.awsRoleArn.split(':');
        const prefix = `arn:aws:sts::${awsAccount}:assumed-role/${resource!.split('/').at(-1)}/`;
        this.upstream.forget((_key, creds) => creds.assumedRoleUser.arn.startsWith(prefix));
      } catch (e) {
        const message = e instanceof DomainError ? e.message : 'AWS IAM could not be updated.';
        this.log.warn(`upstream revocation for ${r.arn} not applied: ${message}`);
        out.push({ roleArn: r.arn, awsRoleArn: r.awsRoleArn, applied: false, error: message });
      }
      await this.audit.record({
        chain: accountId,
        action: 'iam:PutRolePolicy',
        outcome: out.at(-1)!.applied ? 'success' : 'error',
        actor: actorOf(auth),
        resourceArn: r.awsRoleArn,
        client,
        details: { policyName: 'AWSRevokeOlderSessions', tokenIssuedBefore: at.toISOString(), broker: true },
      });
    }
    return out;
  }

  private async role(accountId: string, name: string): Promise<RoleRow> {
    const r = await this.roles.findByName(accountId, name);
    if (!r) throw DomainError.noSuchEntity(`The role with name ${name}`);
    return r;
  }
}

/** Session metadata: never the secret or the token. */
function sessionView(s: StsSessionRow) {
  return {
    accessKeyId: s.accessKeyId,
    type: s.type,
    issuer: s.issuer,
    arn: s.arn,
    callerArn: s.callerArn,
    sourceArn: s.sourceArn,
    parentAccessKeyId: s.parentAccessKeyId,
    sessionName: s.sessionName,
    sourceIdentity: s.sourceIdentity,
    tags: s.tags,
    policyArns: s.policyArns,
    hasSessionPolicy: s.sessionPolicy !== null,
    mfa: s.mfaAuthenticatedAt !== null,
    issuedAt: s.issuedAt,
    expiresAt: s.expiresAt,
    revokedAt: s.revokedAt,
  };
}
