import { Inject } from '@nestjs/common';
import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { ComplexityEstimatorArgs } from '@nestjs/graphql';
import { groupArn, oidcProviderArn, policyArn, roleArn, userArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { RESOURCE_LOOKUP, type ResourceLookup } from '../../common/auth/resource.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { GroupsService } from '../groups/groups.service.js';
import { OidcProvidersService } from '../oidc/oidc-providers.service.js';
import { PoliciesService } from '../policies/policies.service.js';
import { RolesService } from '../roles/roles.service.js';
import { UsersService } from '../users/users.service.js';
import { AccountArgs, AccountIdArgs, EntityListArgs, KeyListArgs, NamedEntityArgs, OidcProviderArgs, PolicyListArgs } from './dto/iam.args.js';
import { GraphAccess } from './graph-access.service.js';
import { authOf, clientOf, GqlAuth, GqlClient, GraphRead, type GraphContext } from './graph-context.js';
import { GraphLoaderFactory } from './graph-loader.factory.js';
import { accessKeyOf, groupOf, roleOf, userOf } from './graph-mappers.js';
import { GraphReadRepository } from './graph-read.repository.js';
import { AccessKeyMetadata, Account, AttachedPolicy, Group, OidcProvider, Policy, Role, User } from './models/iam.model.js';

/** Cost of a list: its size (first, or 10 for relations) times what each item asks for. */
const listCost = ({ args, childComplexity }: ComplexityEstimatorArgs): number => 1 + (Number(args.first) || 10) * Math.max(childComplexity, 1);

/** NoSuchEntity → null (the caller is authorized on the default-path ARN first, so existence leaks nothing). */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof DomainError && e.code === ErrorCode.NoSuchEntity) return null;
    throw e;
  }
}

const policyOfView = (p: { policyName: string; policyId?: string; arn: string; path: string; description?: string | null; document: unknown; createDate?: string; updateDate?: string }): Policy =>
  Object.assign(new Policy(), {
    policyName: p.policyName,
    policyId: p.policyId ?? null,
    arn: p.arn,
    path: p.path,
    description: p.description ?? null,
    document: JSON.stringify(p.document),
    awsManaged: p.arn.startsWith('arn:aws:iam::aws:'),
    createDate: p.createDate ? new Date(p.createDate) : null,
    updateDate: p.updateDate ? new Date(p.updateDate) : null,
  });

/** Admin reads of an account's identities, with the same actions and resources as the REST routes. */
@GraphRead()
@Resolver()
export class IamResolver {
  constructor(
    private readonly access: GraphAccess,
    private readonly repo: GraphReadRepository,
    private readonly accounts: AccountsService,
    private readonly usersService: UsersService,
    private readonly groupsService: GroupsService,
    private readonly rolesService: RolesService,
    private readonly policiesService: PoliciesService,
    private readonly oidc: OidcProvidersService,
    @Inject(RESOURCE_LOOKUP) private readonly lookup: ResourceLookup,
  ) {}

  @Query(() => Account, { description: 'The account (iam:GetAccountSummary).' })
  async account(@Args() a: AccountIdArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<Account> {
    await this.access.require(auth, a.id, 'iam:GetAccountSummary', '*', client);
    const v = await this.accounts.get(auth, a.id);
    return { accountId: v.accountId, alias: v.alias, name: v.name, awsAccountId: v.awsAccountId, settings: v.settings, createdAt: new Date(v.createdAt) };
  }

  @Query(() => [User], { description: 'IAM users in name order (iam:ListUsers).', complexity: listCost })
  async users(@Args() a: EntityListArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<User[]> {
    await this.access.require(auth, a.account, 'iam:ListUsers', '*', client);
    return (await this.repo.listUsers(a.account, a)).map(userOf);
  }

  @Query(() => User, { nullable: true, description: 'One IAM user by name, or "root" (iam:GetUser).' })
  async user(@Args() a: NamedEntityArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<User | null> {
    const path = a.name === 'root' ? null : await this.lookup.userPath(a.account, a.name);
    await this.access.require(auth, a.account, 'iam:GetUser', a.name === 'root' ? `arn:aws:iam::${a.account}:root` : userArn(a.account, path ?? '/', a.name), client);
    if (a.name === 'root') {
      const root = await this.repo.rootUser(a.account);
      return root ? userOf(root) : null;
    }
    const u = await orNull(this.usersService.require(a.account, a.name));
    return u ? userOf(u) : null;
  }

  @Query(() => [Group], { description: 'Groups in name order (iam:ListGroups).', complexity: listCost })
  async groups(@Args() a: EntityListArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<Group[]> {
    await this.access.require(auth, a.account, 'iam:ListGroups', '*', client);
    return (await this.repo.listGroups(a.account, a)).map(groupOf);
  }

  @Query(() => Group, { nullable: true, description: 'One group by name (iam:GetGroup).' })
  async group(@Args() a: NamedEntityArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<Group | null> {
    const path = await this.lookup.groupPath(a.account, a.name);
    await this.access.require(auth, a.account, 'iam:GetGroup', groupArn(a.account, path ?? '/', a.name), client);
    const g = await orNull(this.groupsService.require(a.account, a.name));
    return g ? groupOf(g) : null;
  }

  @Query(() => [Role], { description: 'Roles in name order (iam:ListRoles).', complexity: listCost })
  async roles(@Args() a: EntityListArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<Role[]> {
    await this.access.require(auth, a.account, 'iam:ListRoles', '*', client);
    return (await this.repo.listRoles(a.account, a)).map(roleOf);
  }

  @Query(() => Role, { nullable: true, description: 'One role by name (iam:GetRole).' })
  async role(@Args() a: NamedEntityArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<Role | null> {
    const path = await this.lookup.rolePath(a.account, a.name);
    await this.access.require(auth, a.account, 'iam:GetRole', roleArn(a.account, path ?? '/', a.name), client);
    const r = await orNull(this.rolesService.require(a.account, a.name));
    return r ? roleOf(r) : null;
  }

  @Query(() => [Policy], { description: 'Managed policies: built in and customer managed (iam:ListPolicies).', complexity: ({ childComplexity }) => 1 + 100 * Math.max(childComplexity, 1) })
  async policies(@Args() a: PolicyListArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<Policy[]> {
    await this.access.require(auth, a.account, 'iam:ListPolicies', '*', client);
    return (await this.policiesService.list(a.account, a.scope)).policies.map(policyOfView);
  }

  @Query(() => Policy, { nullable: true, description: 'One customer managed policy by name (iam:GetPolicy).' })
  async policy(@Args() a: NamedEntityArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<Policy | null> {
    const path = await this.lookup.policyPath(a.account, a.name);
    await this.access.require(auth, a.account, 'iam:GetPolicy', policyArn(a.account, path ?? '/', a.name), client);
    const p = await orNull(this.policiesService.get(a.account, a.name));
    return p ? policyOfView(p) : null;
  }

  @Query(() => [OidcProvider], { description: 'Trusted OIDC providers (iam:ListOpenIDConnectProviders).', complexity: ({ childComplexity }) => 1 + 100 * Math.max(childComplexity, 1) })
  async oidcProviders(@Args() a: AccountArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<OidcProvider[]> {
    await this.access.require(auth, a.account, 'iam:ListOpenIDConnectProviders', '*', client);
    return (await this.oidc.list(a.account)).providers.map(oidcOfView);
  }

  @Query(() => OidcProvider, { nullable: true, description: 'One OIDC provider by id (iam:GetOpenIDConnectProvider).' })
  async oidcProvider(@Args() a: OidcProviderArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<OidcProvider | null> {
    const arn = await this.lookup.oidcProviderArn(a.account, a.providerId);
    await this.access.require(auth, a.account, 'iam:GetOpenIDConnectProvider', arn ?? oidcProviderArn(a.account, 'unknown'), client);
    if (!arn) return null;
    const p = await orNull(this.oidc.get(a.account, a.providerId));
    return p ? oidcOfView(p) : null;
  }

  @Query(() => [AccessKeyMetadata], { description: "Every access key's metadata in the account, by key ID (iam:ListAccessKeys on *). Never a secret.", complexity: listCost })
  async accessKeys(@Args() a: KeyListArgs, @GqlAuth() auth: AuthContext, @GqlClient() client: ClientInfo): Promise<AccessKeyMetadata[]> {
    await this.access.require(auth, a.account, 'iam:ListAccessKeys', '*', client);
    return (await this.repo.listKeys(a.account, a)).map(accessKeyOf);
  }
}

const oidcOfView = (p: { providerId: string; arn: string; url: string; clientIdList: string[]; jwksUri: string | null; hasStoredJwks: boolean; createDate: string }): OidcProvider =>
  Object.assign(new OidcProvider(), { ...p, createDate: new Date(p.createDate) });

/** A user's groups, keys and attached policies: batched per request, each authorized like its REST route. */
@Resolver(() => User)
export class UserRelationsResolver {
  constructor(
    private readonly access: GraphAccess,
    private readonly loaders: GraphLoaderFactory,
  ) {}

  @ResolveField(() => [Group], { description: 'iam:ListGroupsForUser', complexity: listCost })
  async groups(@Parent() u: User, @Context() ctx: GraphContext): Promise<Group[]> {
    if (u.kind === 'Root') return [];
    await this.access.require(authOf(ctx), u.accountId, 'iam:ListGroupsForUser', u.arn, clientOf(ctx));
    return (await this.loaders.of(ctx).groupsOfUser.load({ accountId: u.accountId, key: u.internalId })).map(groupOf);
  }

  @ResolveField(() => [AccessKeyMetadata], { description: 'iam:ListAccessKeys (metadata only)', complexity: listCost })
  async accessKeys(@Parent() u: User, @Context() ctx: GraphContext): Promise<AccessKeyMetadata[]> {
    await this.access.require(authOf(ctx), u.accountId, 'iam:ListAccessKeys', u.arn, clientOf(ctx));
    return (await this.loaders.of(ctx).keysOfUser.load({ accountId: u.accountId, key: u.internalId })).map(accessKeyOf);
  }

  @ResolveField(() => [AttachedPolicy], { description: 'iam:ListAttachedUserPolicies', complexity: listCost })
  async attachedPolicies(@Parent() u: User, @Context() ctx: GraphContext): Promise<AttachedPolicy[]> {
    if (u.kind === 'Root') return [];
    await this.access.require(authOf(ctx), u.accountId, 'iam:ListAttachedUserPolicies', u.arn, clientOf(ctx));
    return (await this.loaders.of(ctx).attachedPolicies('USER').load({ accountId: u.accountId, key: u.internalId })).map(AttachedPolicy.of);
  }
}

@Resolver(() => Group)
export class GroupRelationsResolver {
  constructor(
    private readonly access: GraphAccess,
    private readonly loaders: GraphLoaderFactory,
  ) {}

  @ResolveField(() => [AttachedPolicy], { description: 'iam:ListAttachedGroupPolicies', complexity: listCost })
  async attachedPolicies(@Parent() g: Group, @Context() ctx: GraphContext): Promise<AttachedPolicy[]> {
    await this.access.require(authOf(ctx), g.accountId, 'iam:ListAttachedGroupPolicies', g.arn, clientOf(ctx));
    return (await this.loaders.of(ctx).attachedPolicies('GROUP').load({ accountId: g.accountId, key: g.internalId })).map(AttachedPolicy.of);
  }
}

@Resolver(() => Role)
export class RoleRelationsResolver {
  constructor(
    private readonly access: GraphAccess,
    private readonly loaders: GraphLoaderFactory,
  ) {}

  @ResolveField(() => [AttachedPolicy], { description: 'iam:ListAttachedRolePolicies', complexity: listCost })
  async attachedPolicies(@Parent() r: Role, @Context() ctx: GraphContext): Promise<AttachedPolicy[]> {
    await this.access.require(authOf(ctx), r.accountId, 'iam:ListAttachedRolePolicies', r.arn, clientOf(ctx));
    return (await this.loaders.of(ctx).attachedPolicies('ROLE').load({ accountId: r.accountId, key: r.internalId })).map(AttachedPolicy.of);
  }
}

@Resolver(() => AccessKeyMetadata)
export class AccessKeyRelationsResolver {
  constructor(
    private readonly access: GraphAccess,
    private readonly loaders: GraphLoaderFactory,
  ) {}

  @ResolveField(() => User, { nullable: true, description: "The key's user (iam:GetUser)", complexity: 5 })
  async user(@Parent() k: AccessKeyMetadata, @Context() ctx: GraphContext): Promise<User | null> {
    const row = await this.loaders.of(ctx).userById.load({ accountId: k.accountId, key: k.internalUserId });
    if (!row) return null;
    const u = userOf(row);
    await this.access.require(authOf(ctx), k.accountId, 'iam:GetUser', u.arn, clientOf(ctx));
    return u;
  }
}
