import { Args, Context, Query, ResolveField, Resolver, createUnionType, Parent } from '@nestjs/graphql';
import type { ComplexityEstimatorArgs } from '@nestjs/graphql';
import { parseArn, rootArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { AuditQueryService } from '../audit/audit-query.service.js';
import { AuditVerifyService } from '../audit/audit-verify.service.js';
import { AuditEventArgs, AuditEventsArgs, AuditRangeArgs } from './dto/audit.args.js';
import { GraphAccess } from './graph-access.service.js';
import { authOf, clientOf, GqlAuth, GqlClient, GraphRead, type GraphContext } from './graph-context.js';
import { GraphLoaderFactory } from './graph-loader.factory.js';
import { roleOf, userOf } from './graph-mappers.js';
import { AuditEvent, AuditEventConnection, AuditSummary, ChainVerification } from './models/audit-event.model.js';
import { Role, User } from './models/iam.model.js';

export const AUDIT_READ = 'audit:ReadEvents';
export const AUDIT_VERIFY = 'audit:VerifyChain';

/** The principal behind a record: one of the account's users (root included) or roles. */
export const AuditActor = createUnionType({
  name: 'AuditActor',
  types: () => [User, Role] as const,
  resolveType: (v: User | Role) => (v instanceof Role ? Role : User),
});

/** Cost of a connection: its page size times what each item asks for. */
export const pageCost = ({ args, childComplexity }: ComplexityEstimatorArgs): number => 1 + (Number(args.first) || 1) * Math.max(childComplexity, 1);

@GraphRead()
@Resolver()
export class AuditResolver {
  constructor(
    private readonly access: GraphAccess,
    private readonly audit: AuditQueryService,
    private readonly verifier: AuditVerifyService,
  ) {}

  @Query(() => AuditEventConnection, { description: "An account's audit records, newest first by default (keyset pages).", complexity: pageCost })
  async auditEvents(@Args() a: AuditEventsArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<AuditEventConnection> {
    await this.access.require(auth, a.account, AUDIT_READ, rootArn(a.account), client);
    const page = await this.audit.events(a.account, { filter: a.filter ?? {}, first: a.first, after: a.after, oldestFirst: a.oldestFirst });
    return {
      edges: page.items.map((i) => ({ cursor: i.cursor, node: AuditEvent.from(i.row) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    };
  }

  @Query(() => AuditEvent, { description: 'One audit record by its id (sequence number).' })
  async auditEvent(@Args() a: AuditEventArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<AuditEvent> {
    await this.access.require(auth, a.account, AUDIT_READ, rootArn(a.account), client);
    return AuditEvent.from(await this.audit.event(a.account, a.id));
  }

  @Query(() => AuditSummary, { description: 'Counts by action and outcome, top actors and top refused callers in a time range.', complexity: 50 })
  async auditSummary(@Args() a: AuditRangeArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<AuditSummary> {
    await this.access.require(auth, a.account, AUDIT_READ, rootArn(a.account), client);
    const s = await this.audit.summary(a.account, { from: a.from, to: a.to });
    return { account: a.account, from: a.from ?? null, to: a.to ?? null, ...s };
  }

  @Query(() => ChainVerification, { description: "Verifies the account's hash chain over a time range; reports the first broken link.", complexity: 100 })
  async verifyAuditChain(@Args() a: AuditRangeArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<ChainVerification> {
    await this.access.require(auth, a.account, AUDIT_VERIFY, rootArn(a.account), client);
    const v = await this.verifier.verify(a.account, { from: a.from, to: a.to });
    return {
      account: a.account,
      ok: v.ok,
      checked: v.checked,
      firstSeq: v.firstSeq === null ? null : v.firstSeq.toString(),
      lastSeq: v.lastSeq === null ? null : v.lastSeq.toString(),
      brokenAt: v.brokenAt ? { seq: v.brokenAt.seq.toString(), kind: v.brokenAt.kind, message: v.brokenAt.message } : null,
    };
  }
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  constructor(
    private readonly access: GraphAccess,
    private readonly loaders: GraphLoaderFactory,
  ) {}

  /**
   * The record's actor when it is a user or role of the record's own account
   * (another account's principals stay invisible); null otherwise or when it
   * no longer exists. Needs iam:GetUser / iam:GetRole on it.
   */
  @ResolveField(() => AuditActor, { nullable: true, complexity: 5 })
  async actor(@Parent() e: AuditEvent, @Context() ctx: GraphContext): Promise<User | Role | null> {
    const arn = e.actorArn ? parseArn(e.actorArn) : null;
    if (!arn || arn.accountId !== e.account) return null;
    const auth = authOf(ctx);
    const client = clientOf(ctx);
    const l = this.loaders.of(ctx);
    if (arn.service === 'iam' && arn.resource === 'root') {
      await this.access.require(auth, e.account, 'iam:GetUser', e.actorArn!, client);
      const root = await l.rootUser(e.account);
      return root ? userOf(root) : null;
    }
    const [kind, ...rest] = arn.resource.split('/');
    if (arn.service === 'iam' && kind === 'user') {
      const u = await l.userByName.load({ accountId: e.account, key: rest[rest.length - 1]! });
      if (!u) return null;
      const user = userOf(u);
      await this.access.require(auth, e.account, 'iam:GetUser', user.arn, client);
      return user;
    }
    const roleName = arn.service === 'iam' && kind === 'role' ? rest[rest.length - 1] : arn.service === 'sts' && kind === 'assumed-role' ? rest[0] : undefined;
    if (!roleName) return null;
    const r = await l.roleByName.load({ accountId: e.account, key: roleName });
    if (!r) return null;
    const role = roleOf(r);
    await this.access.require(auth, e.account, 'iam:GetRole', role.arn, client);
    return role;
  }
}
