import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { groupArn, parseArn, policyArn, roleArn, userArn } from '../../../common/arn.js';
import type { ResourceLookup } from '../../../common/auth/resource.js';
import type { QueryParams } from '../../../common/aws-query/query-params.js';
import { DomainError } from '../../../common/errors/domain-error.js';
import { ErrorCode } from '../../../common/errors/error-codes.js';
import { BUILTIN_BY_ARN, type BuiltinPolicy } from '../../policies/builtin-policies.js';
import { AttachPolicyDto, CreatePolicyDto, ListPoliciesQueryDto } from '../../policies/dto/policies.dto.js';
import { PoliciesService, type PolicyOwner } from '../../policies/policies.service.js';
import type { AuthedQueryRequest, QueryAction, QueryActionSet, QueryResult } from '../query-action.js';
import { callerAccount, constraintError, dateOf, iamAction, pageMembers, pageParams, paginate, validateAs } from './iam-shapes.js';

// ---------------------------------------------------------------- helpers (also used by groups and roles)

/** An ARN built from request input: a malformed name or path is the caller's mistake (as REST's resolvers say). */
export function arnOf(build: () => string): string {
  try {
    return build();
  } catch (e) {
    if (e instanceof RangeError) throw DomainError.validation('The request names an invalid resource: check the names and paths it contains.');
    throw e;
  }
}

type OwnerType = PolicyOwner['type'];

/**
 * The ARN of the user, group or role the request names (parameter `param`), in
 * the caller's account, with its path; path "/" when it does not exist (the
 * decision never depends on existence; the service then says NoSuchEntity).
 * As REST's Res.user()/Res.group()/Res.role().
 */
export async function ownerArn(req: AuthedQueryRequest, lookup: ResourceLookup, type: OwnerType, param: string): Promise<string> {
  const a = callerAccount(req.auth);
  const name = req.params.required(param);
  if (type === 'USER') {
    const path = (await lookup.userPath(a, name)) ?? '/';
    return arnOf(() => userArn(a, path, name));
  }
  if (type === 'GROUP') {
    const path = (await lookup.groupPath(a, name)) ?? '/';
    return arnOf(() => groupArn(a, path, name));
  }
  const path = (await lookup.rolePath(a, name)) ?? '/';
  return arnOf(() => roleArn(a, path, name));
}

/**
 * A policy document as AWS returns it (GetRole, Get*Policy, GetPolicyVersion):
 * URL-encoded per RFC 3986 (everything but the unreserved characters). The SDKs
 * do not decode it; the AWS CLI does.
 */
export function encodeDocument(doc: unknown): string {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * PoliciesService reports an unparseable document as ValidationError
 * "MalformedPolicyDocument: …" (REST's shape); IAM's wire code is MalformedPolicyDocument.
 */
export async function policyDocumentErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DomainError && e.code === ErrorCode.ValidationError && e.message.startsWith('MalformedPolicyDocument: ')) {
      throw new DomainError(ErrorCode.MalformedPolicyDocument, e.message.slice('MalformedPolicyDocument: '.length));
    }
    throw e;
  }
}

/** `PathPrefix` as AWS accepts it: "/" then printable ASCII, at most 512 characters (undefined when absent). */
export function pathPrefixOf(params: QueryParams): string | undefined {
  const p = params.str('PathPrefix');
  if (p === undefined) return undefined;
  if (p.length < 1 || p.length > 512) throw constraintError('PathPrefix', p, 'Member must have length between 1 and 512');
  if (!/^\/[\x21-\x7F]*$/.test(p)) throw constraintError('PathPrefix', p, 'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*');
  return p;
}

/** The path of an IAM ARN's resource ("/" for arn:aws:iam::aws:policy/Name). */
const pathOfArn = (arn: string) => {
  const id = parseArn(arn)?.resourceId ?? '';
  return `/${id.slice(0, id.lastIndexOf('/') + 1)}`.replace(/^\/\//, '/');
};

/**
 * Page key of a policy in a list: its name (so lists read in name order), then a
 * digest of its ARN to keep same-named policies (an AWS managed one and the
 * account's own) apart. Short enough for AWS's 320-character Marker whatever the path.
 */
const policyKey = (name: string, arn: string) => `${name.toLowerCase()}\u0000${createHash('sha256').update(arn).digest('hex').slice(0, 16)}`;

// ---------------------------------------------------------------- managed policies

type ManagedView = Awaited<ReturnType<PoliciesService['get']>>;

function policyShape(p: Omit<ManagedView, 'attachmentCount'> & { attachmentCount?: number }): QueryResult {
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: 'v1',
    AttachmentCount: p.attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: p.description ?? undefined,
    CreateDate: dateOf(p.createDate),
    UpdateDate: dateOf(p.updateDate),
  };
}

function builtinShape(b: { name: string; arn: string; description: string }): QueryResult {
  return { PolicyName: b.name, Arn: b.arn, Path: '/', DefaultVersionId: 'v1', PermissionsBoundaryUsageCount: 0, IsAttachable: true, Description: b.description };
}

/** `PolicyArn`: the REST DTO's length rule, then it must be an IAM policy ARN. */
function policyArnParam(params: QueryParams): string {
  const { policyArn: arn } = validateAs(AttachPolicyDto, { policyArn: params.required('PolicyArn') });
  const parsed = parseArn(arn);
  if (!parsed || parsed.service !== 'iam' || parsed.resourceType !== 'policy' || !parsed.resourceId) throw DomainError.validation(`ARN ${arn.slice(0, 128)} is not valid.`);
  return arn;
}

type ResolvedPolicy = { builtin: BuiltinPolicy } | { name: string; arn: string };

/**
 * What a PolicyArn names, resolved in the caller's account: an AWS-managed
 * (built-in) policy, or the caller's customer policy with exactly that ARN.
 * Another account's policy does not exist here.
 */
function resolvePolicyArn(req: AuthedQueryRequest): ResolvedPolicy {
  const arn = policyArnParam(req.params);
  const builtin = BUILTIN_BY_ARN.get(arn);
  if (builtin) return { builtin };
  const parsed = parseArn(arn)!;
  if (parsed.accountId !== callerAccount(req.auth)) throw DomainError.noSuchEntity(`Policy ${arn}`);
  const id = parsed.resourceId!;
  return { name: id.slice(id.lastIndexOf('/') + 1), arn };
}

/**
 * Authorization resource of GetPolicy/DeletePolicy/GetPolicyVersion: the policy's
 * ARN in the caller's account (the authorizer allows nothing in another account).
 * An AWS managed policy or another account's policy is named as if it were the
 * caller's policy with that path and name: names resolve in the caller's account
 * (another account's policy is then NoSuchEntity; a managed one is readable with
 * Resource "*", as in AWS).
 */
const policyResource = (req: AuthedQueryRequest) => {
  const arn = policyArnParam(req.params);
  const acct = callerAccount(req.auth);
  const parsed = parseArn(arn)!;
  if (parsed.accountId === acct) return arn;
  const id = parsed.resourceId!;
  const cut = id.lastIndexOf('/');
  return arnOf(() => policyArn(acct, cut < 0 ? '/' : `/${id.slice(0, cut + 1)}`, id.slice(cut + 1)));
};

// ---------------------------------------------------------------- attached and inline policies of users, groups, roles

/**
 * Attached and inline policies of users, groups or roles: the same seven actions
 * for each owner type (Attach…Policy, Detach…Policy, ListAttached…Policies,
 * Put…Policy, Get…Policy, Delete…Policy, List…Policies), authorized like REST's
 * owner-policies controller (the action on the owner's ARN).
 */
export function ownerPolicyActions(policies: PoliciesService, type: OwnerType): QueryAction[] {
  const Noun = ({ USER: 'User', GROUP: 'Group', ROLE: 'Role' } as const)[type];
  const param = `${Noun}Name`;
  const res = (req: AuthedQueryRequest, lookup: ResourceLookup) => ownerArn(req, lookup, type, param);
  const owner = (req: AuthedQueryRequest): PolicyOwner => ({ type, name: req.params.required(param) });
  const action = (name: string, run: (req: AuthedQueryRequest) => Promise<QueryResult | undefined>) => iamAction(name, `iam:${name}`, res, run);
  return [
    action(`Attach${Noun}Policy`, async (req) => {
      await policies.attach(req.auth, callerAccount(req.auth), owner(req), policyArnParam(req.params), req.client);
      return undefined;
    }),
    action(`Detach${Noun}Policy`, async (req) => {
      await policies.detach(req.auth, callerAccount(req.auth), owner(req), policyArnParam(req.params), req.client);
      return undefined;
    }),
    action(`ListAttached${Noun}Policies`, async (req) => {
      const prefix = pathPrefixOf(req.params);
      const pageReq = pageParams(req.params);
      const { attachedPolicies } = await policies.listAttached(callerAccount(req.auth), owner(req));
      const pg = paginate(
        attachedPolicies.filter((p) => !prefix || pathOfArn(p.policyArn).startsWith(prefix)),
        (p) => policyKey(p.policyName, p.policyArn),
        pageReq,
      );
      return { AttachedPolicies: pg.items.map((p) => ({ PolicyName: p.policyName, PolicyArn: p.policyArn })), ...pageMembers(pg.marker) };
    }),
    action(`Put${Noun}Policy`, async (req) => {
      const name = req.params.required('PolicyName');
      const document = req.params.required('PolicyDocument');
      await policyDocumentErrors(() => policies.putInline(req.auth, callerAccount(req.auth), owner(req), name, document, req.client));
      return undefined;
    }),
    action(`Get${Noun}Policy`, async (req) => {
      const p = await policies.getInline(callerAccount(req.auth), owner(req), req.params.required('PolicyName'));
      return { [param]: req.params.required(param), PolicyName: p.policyName, PolicyDocument: encodeDocument(p.document) };
    }),
    action(`Delete${Noun}Policy`, async (req) => {
      await policies.deleteInline(req.auth, callerAccount(req.auth), owner(req), req.params.required('PolicyName'), req.client);
      return undefined;
    }),
    action(`List${Noun}Policies`, async (req) => {
      const pageReq = pageParams(req.params);
      const { policyNames } = await policies.listInline(callerAccount(req.auth), owner(req));
      const pg = paginate(policyNames, (n) => n, pageReq);
      return { PolicyNames: pg.items, ...pageMembers(pg.marker) };
    }),
  ];
}

/**
 * IAM managed policies over AWS Query (CreatePolicy, GetPolicy, ListPolicies,
 * DeletePolicy, GetPolicyVersion) and the policies of users and groups;
 * PoliciesService does the work, as for REST.
 */
@Injectable()
export class PoliciesQueryActions implements QueryActionSet {
  readonly actions: QueryAction[];

  constructor(private readonly policies: PoliciesService) {
    this.actions = [
      iamAction(
        'CreatePolicy',
        'iam:CreatePolicy',
        // As REST's Res.newPolicy(): the ARN the policy will have.
        ({ auth, params }) => arnOf(() => policyArn(callerAccount(auth), params.str('Path') ?? '/', params.required('PolicyName'))),
        (req) => this.create(req),
      ),
      iamAction('GetPolicy', 'iam:GetPolicy', policyResource, async (req) => {
        const r = resolvePolicyArn(req);
        if ('builtin' in r) return { Policy: builtinShape(r.builtin) };
        return { Policy: policyShape(await this.customer(req, r)) };
      }),
      iamAction('ListPolicies', 'iam:ListPolicies', () => '*', (req) => this.list(req)),
      iamAction('DeletePolicy', 'iam:DeletePolicy', policyResource, async (req) => {
        const r = resolvePolicyArn(req);
        if ('builtin' in r) throw DomainError.validation(`Policy ${r.builtin.arn} is an AWS managed policy: it cannot be deleted.`);
        await this.customer(req, r);
        await this.policies.delete(req.auth, callerAccount(req.auth), r.name, req.client);
        return undefined;
      }),
      iamAction('GetPolicyVersion', 'iam:GetPolicyVersion', policyResource, async (req) => {
        const r = resolvePolicyArn(req);
        const versionId = req.params.required('VersionId');
        if (!/^v[1-9][0-9]{0,15}(\.[A-Za-z0-9-]{0,64})?$/.test(versionId)) {
          throw constraintError('VersionId', versionId, 'Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?');
        }
        const arn = 'builtin' in r ? r.builtin.arn : r.arn;
        // The broker keeps one version of each managed policy, its default: v1.
        if (versionId !== 'v1') throw DomainError.noSuchEntity(`Policy ${arn} version ${versionId}`);
        if ('builtin' in r) return { PolicyVersion: { Document: encodeDocument(r.builtin.document), VersionId: 'v1', IsDefaultVersion: true } };
        const p = await this.customer(req, r);
        return { PolicyVersion: { Document: encodeDocument(p.document), VersionId: 'v1', IsDefaultVersion: true, CreateDate: dateOf(p.updateDate) } };
      }),
      ...ownerPolicyActions(policies, 'USER'),
      ...ownerPolicyActions(policies, 'GROUP'),
    ];
  }

  /** The caller's customer policy of that name, when the ARN is exactly its ARN (path included). */
  private async customer(req: AuthedQueryRequest, r: { name: string; arn: string }): Promise<ManagedView> {
    const notFound = () => DomainError.noSuchEntity(`Policy ${r.arn}`);
    const p = await this.policies.get(callerAccount(req.auth), r.name).catch((e: unknown) => {
      throw e instanceof DomainError && e.code === ErrorCode.NoSuchEntity ? notFound() : e;
    });
    if (p.arn !== r.arn) throw notFound();
    return p;
  }

  private async create(req: AuthedQueryRequest): Promise<QueryResult> {
    const p = req.params;
    if (p.structList('Tags', ['Key', 'Value'])?.length) throw DomainError.validation('Tags on managed policies are not supported by this broker.');
    const text = p.required('PolicyDocument');
    let document: unknown;
    try {
      document = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      throw new DomainError(ErrorCode.MalformedPolicyDocument, 'Syntax errors in policy.');
    }
    if (document === null || typeof document !== 'object' || Array.isArray(document)) throw new DomainError(ErrorCode.MalformedPolicyDocument, 'The policy document must be a JSON object.');
    const dto = validateAs(CreatePolicyDto, { policyName: p.required('PolicyName'), path: p.str('Path'), description: p.str('Description'), document });
    // The text as sent is what is stored and returned (GetPolicyVersion), as in AWS.
    const view = await policyDocumentErrors(() => this.policies.create(req.auth, callerAccount(req.auth), { policyName: dto.policyName, path: dto.path, description: dto.description, document: text }, req.client));
    return { Policy: policyShape(view) };
  }

  private async list(req: AuthedQueryRequest): Promise<QueryResult> {
    const p = req.params;
    const { scope = 'All' } = validateAs(ListPoliciesQueryDto, { scope: p.str('Scope') });
    const onlyAttached = p.bool('OnlyAttached') ?? false;
    const prefix = pathPrefixOf(p);
    const usage = p.str('PolicyUsageFilter');
    if (usage !== undefined && usage !== 'PermissionsPolicy' && usage !== 'PermissionsBoundary') {
      throw constraintError('PolicyUsageFilter', usage, 'Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]');
    }
    if (onlyAttached && scope !== 'Local') throw DomainError.validation('OnlyAttached=true needs Scope=Local: the broker does not count attachments of AWS managed policies.');
    const pageReq = pageParams(p);
    const acct = callerAccount(req.auth);
    const shapes: QueryResult[] = [];
    // Permissions boundaries are not supported: no policy is used as one.
    if (usage !== 'PermissionsBoundary') {
      for (const v of (await this.policies.list(acct, scope)).policies) {
        if (prefix && !v.path.startsWith(prefix)) continue;
        if (!('policyId' in v)) {
          shapes.push(builtinShape({ name: v.policyName, arn: v.arn, description: v.description }));
        } else if (!onlyAttached || v.attachmentCount) {
          shapes.push(policyShape(v));
        }
      }
    }
    const pg = paginate(shapes, (s) => policyKey(String(s.PolicyName), String(s.Arn)), pageReq);
    return { Policies: pg.items, ...pageMembers(pg.marker) };
  }
}
