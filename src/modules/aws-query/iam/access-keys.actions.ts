import { Injectable } from '@nestjs/common';
import { rootArn } from '../../../common/arn.js';
import type { AuthContext } from '../../../common/auth/auth-context.js';
import type { ResourceLookup } from '../../../common/auth/resource.js';
import type { QueryParams } from '../../../common/aws-query/query-params.js';
import { DomainError } from '../../../common/errors/domain-error.js';
import { AccessKeysRepository } from '../../access-keys/access-keys.repository.js';
import { AccessKeysService } from '../../access-keys/access-keys.service.js';
import { UpdateAccessKeyDto } from '../../access-keys/dto/access-keys.dto.js';
import type { QueryAction, QueryActionSet } from '../query-action.js';
import { callerAccount, constraintError, dateOf, iamAction, pageMembers, pageParams, paginate, targetResource, userResource, userTarget, validateAs, type UserTarget } from './iam-shapes.js';

/** accessKeyIdType: [\w]+, 16-128. */
export function accessKeyIdParam(p: QueryParams): string {
  const v = p.str('AccessKeyId');
  if (v === undefined) throw constraintError('AccessKeyId', null, 'Member must not be null');
  if (v.length < 16 || v.length > 128) throw constraintError('AccessKeyId', v, 'Member must have length between 16 and 128');
  if (!/^\w+$/.test(v)) throw constraintError('AccessKeyId', v, 'Member must satisfy regular expression pattern: [\\w]+');
  return v;
}

/**
 * Access keys over AWS Query: CreateAccessKey, ListAccessKeys, UpdateAccessKey,
 * DeleteAccessKey, GetAccessKeyLastUsed (AccessKeysService, as REST: two keys
 * per user, only inactive keys can be deleted). Without `UserName` the caller's
 * own keys, root's included, as in AWS. The secret is in CreateAccessKey's
 * result only.
 */
@Injectable()
export class AccessKeysQueryActions implements QueryActionSet {
  constructor(
    private readonly keys: AccessKeysService,
    private readonly repo: AccessKeysRepository,
  ) {}

  /** Owners looked up per request: the resource check and the action ask for the same key (keyed by the request's params). */
  private readonly owners = new WeakMap<object, Promise<UserTarget | null>>();

  /** The owner of a key of the caller's account (null when the account has no such key). */
  private ownerOf(auth: AuthContext, params: object, accessKeyId: string): Promise<UserTarget | null> {
    let owner = this.owners.get(params);
    if (!owner) {
      const accountId = callerAccount(auth);
      owner = this.repo.ownerInAccount(accountId, accessKeyId).then((k) => (k ? { accountId, userName: k.user.kind === 'ROOT' ? null : k.user.name } : null));
      this.owners.set(params, owner);
    }
    return owner;
  }

  /** GetAccessKeyLastUsed is authorized on the key's owner; root's keys are root's business only (REST: RootOnly). */
  private async lastUsedResource(auth: AuthContext, params: object, accessKeyId: string, lookup: ResourceLookup): Promise<string> {
    const owner = await this.ownerOf(auth, params, accessKeyId);
    if (!owner) return '*';
    if (owner.userName === null) return rootArn(owner.accountId);
    return userResource(owner.accountId, owner.userName, lookup);
  }

  readonly actions: QueryAction[] = [
    iamAction(
      'CreateAccessKey',
      'iam:CreateAccessKey',
      ({ auth, params }, lookup) => targetResource(auth, userTarget(auth, params), lookup),
      async ({ auth, params, client }) => {
        const created = await this.keys.create(auth, userTarget(auth, params), client);
        const k = created.accessKey;
        return { AccessKey: { UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, SecretAccessKey: k.secretAccessKey, CreateDate: dateOf(k.createDate) } };
      },
    ),

    iamAction(
      'ListAccessKeys',
      'iam:ListAccessKeys',
      ({ auth, params }, lookup) => targetResource(auth, userTarget(auth, params), lookup),
      async ({ auth, params }) => {
        const page = pageParams(params);
        const res = await this.keys.list(userTarget(auth, params));
        const { items, marker } = paginate(res.accessKeyMetadata, (k) => `${k.createDate}|${k.accessKeyId}`, page);
        return {
          AccessKeyMetadata: items.map((k) => ({ UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: dateOf(k.createDate) })),
          ...pageMembers(marker),
        };
      },
    ),

    iamAction(
      'UpdateAccessKey',
      'iam:UpdateAccessKey',
      ({ auth, params }, lookup) => targetResource(auth, userTarget(auth, params), lookup),
      async ({ auth, params, client }) => {
        const id = accessKeyIdParam(params);
        const dto = validateAs(UpdateAccessKeyDto, { status: params.str('Status') ?? '' });
        await this.keys.updateStatus(auth, userTarget(auth, params), id, dto.status, client);
        return undefined;
      },
    ),

    iamAction(
      'DeleteAccessKey',
      'iam:DeleteAccessKey',
      ({ auth, params }, lookup) => targetResource(auth, userTarget(auth, params), lookup),
      async ({ auth, params, client }) => {
        await this.keys.delete(auth, userTarget(auth, params), accessKeyIdParam(params), undefined, client);
        return undefined;
      },
    ),

    iamAction(
      'GetAccessKeyLastUsed',
      'iam:GetAccessKeyLastUsed',
      ({ auth, params }, lookup) => this.lastUsedResource(auth, params, accessKeyIdParam(params), lookup),
      async ({ auth, params }) => {
        const id = accessKeyIdParam(params);
        const owner = await this.ownerOf(auth, params, id);
        if (!owner) throw DomainError.noSuchEntity(`The Access Key with id ${id}`);
        if (owner.userName === null && auth.principal.kind !== 'Root') throw DomainError.accessDenied('iam:GetAccessKeyLastUsed', rootArn(owner.accountId));
        const res = await this.keys.lastUsed(owner, id);
        return {
          UserName: res.userName,
          AccessKeyLastUsed: { LastUsedDate: dateOf(res.lastUsed.date), ServiceName: res.lastUsed.serviceName ?? 'N/A', Region: res.lastUsed.region ?? 'N/A' },
        };
      },
    ),
  ];
}
