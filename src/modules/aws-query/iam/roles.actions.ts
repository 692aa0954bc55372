import { Injectable } from '@nestjs/common';
import { roleArn } from '../../../common/arn.js';
import type { ResourceLookup } from '../../../common/auth/resource.js';
import { DomainError } from '../../../common/errors/domain-error.js';
import { PoliciesService } from '../../policies/policies.service.js';
import { CreateRoleDto, UpdateRoleDto } from '../../roles/dto/roles.dto.js';
import type { RoleView } from '../../roles/role.views.js';
import { RolesService } from '../../roles/roles.service.js';
import type { AuthedQueryRequest, QueryAction, QueryActionSet, QueryResult } from '../query-action.js';
import { callerAccount, dateOf, iamAction, pageMembers, pageParams, tagList, tagsParam, validateAs } from './iam-shapes.js';
import { arnOf, encodeDocument, ownerArn, ownerPolicyActions, pathPrefixOf } from './policies.actions.js';

/** IAM's Role structure (the trust policy URL-encoded, as AWS sends it). */
export function roleShape(r: RoleView): QueryResult {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: dateOf(r.createDate),
    AssumeRolePolicyDocument: encodeDocument(r.assumeRolePolicyDocument),
    Description: r.description ?? undefined,
    MaxSessionDuration: r.maxSessionDuration,
    Tags: r.tags.length ? tagList(r.tags) : undefined,
  };
}

const roleRes = (req: AuthedQueryRequest, lookup: ResourceLookup) => ownerArn(req, lookup, 'ROLE', 'RoleName');

/** IAM roles and their policies over AWS Query; RolesService and PoliciesService do the work, as for REST. */
@Injectable()
export class RolesQueryActions implements QueryActionSet {
  readonly actions: QueryAction[];

  constructor(
    private readonly roles: RolesService,
    policies: PoliciesService,
  ) {
    this.actions = [
      iamAction(
        'CreateRole',
        'iam:CreateRole',
        // As REST's Res.newRole(): the ARN the role will have.
        ({ auth, params }) => arnOf(() => roleArn(callerAccount(auth), params.str('Path') ?? '/', params.required('RoleName'))),
        (req) => this.create(req),
      ),
      iamAction('GetRole', 'iam:GetRole', roleRes, async ({ auth, params }) => ({ Role: roleShape(await this.roles.get(callerAccount(auth), params.required('RoleName'))) })),
      iamAction('ListRoles', 'iam:ListRoles', () => '*', async ({ auth, params }) => {
        const pathPrefix = pathPrefixOf(params);
        const { marker, maxItems } = pageParams(params);
        const page = await this.roles.list(callerAccount(auth), { pathPrefix, maxItems, ...(marker !== undefined ? { marker } : {}) });
        return { Roles: page.roles.map(roleShape), ...pageMembers(page.marker) };
      }),
      iamAction('UpdateRole', 'iam:UpdateRole', roleRes, async ({ auth, params, client }) => {
        const dto = validateAs(UpdateRoleDto, { description: params.str('Description'), maxSessionDuration: params.int('MaxSessionDuration') });
        await this.roles.update(auth, callerAccount(auth), params.required('RoleName'), dto, client);
        return {};
      }),
      iamAction('UpdateAssumeRolePolicy', 'iam:UpdateAssumeRolePolicy', roleRes, async ({ auth, params, client }) => {
        await this.roles.updateTrustPolicy(auth, callerAccount(auth), params.required('RoleName'), params.required('PolicyDocument'), client);
        return undefined;
      }),
      iamAction('DeleteRole', 'iam:DeleteRole', roleRes, async ({ auth, params, client }) => {
        await this.roles.delete(auth, callerAccount(auth), params.required('RoleName'), client);
        return undefined;
      }),
      ...ownerPolicyActions(policies, 'ROLE'),
    ];
  }

  private async create({ auth, params, client }: AuthedQueryRequest): Promise<QueryResult> {
    if (params.has('PermissionsBoundary')) throw DomainError.validation('Permissions boundaries are not supported by this broker.');
    const dto = validateAs(CreateRoleDto, {
      roleName: params.required('RoleName'),
      path: params.str('Path'),
      description: params.str('Description'),
      maxSessionDuration: params.int('MaxSessionDuration'),
      assumeRolePolicyDocument: params.required('AssumeRolePolicyDocument'),
      tags: tagsParam(params),
    });
    return { Role: roleShape(await this.roles.create(auth, callerAccount(auth), dto, client)) };
  }
}
