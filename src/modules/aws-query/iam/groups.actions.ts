import { Injectable } from '@nestjs/common';
import { groupArn } from '../../../common/arn.js';
import type { ResourceLookup } from '../../../common/auth/resource.js';
import { CreateGroupDto } from '../../groups/dto/groups.dto.js';
import { GroupsService } from '../../groups/groups.service.js';
import type { AuthedQueryRequest, QueryAction, QueryActionSet, QueryResult } from '../query-action.js';
import { callerAccount, dateOf, iamAction, pageMembers, pageParams, paginate, userShape, validateAs } from './iam-shapes.js';
import { arnOf, ownerArn, pathPrefixOf } from './policies.actions.js';

type GroupView = Awaited<ReturnType<GroupsService['create']>>;

/** IAM's Group structure. */
function groupShape(g: GroupView): QueryResult {
  return { Path: g.path, GroupName: g.groupName, GroupId: g.groupId, Arn: g.arn, CreateDate: dateOf(g.createDate) };
}

const groupRes = (req: AuthedQueryRequest, lookup: ResourceLookup) => ownerArn(req, lookup, 'GROUP', 'GroupName');
const userRes = (req: AuthedQueryRequest, lookup: ResourceLookup) => ownerArn(req, lookup, 'USER', 'UserName');

/** IAM groups and their members over AWS Query; GroupsService does the work, as for REST. */
@Injectable()
export class GroupsQueryActions implements QueryActionSet {
  readonly actions: QueryAction[];

  constructor(private readonly groups: GroupsService) {
    this.actions = [
      iamAction(
        'CreateGroup',
        'iam:CreateGroup',
        // As REST's Res.newGroup(): the ARN the group will have.
        ({ auth, params }) => arnOf(() => groupArn(callerAccount(auth), params.str('Path') ?? '/', params.required('GroupName'))),
        async ({ auth, params, client }) => {
          const dto = validateAs(CreateGroupDto, { groupName: params.required('GroupName'), path: params.str('Path') });
          return { Group: groupShape(await this.groups.create(auth, callerAccount(auth), dto, client)) };
        },
      ),
      iamAction('GetGroup', 'iam:GetGroup', groupRes, async ({ auth, params }) => {
        const pageReq = pageParams(params);
        const { group, users } = await this.groups.get(callerAccount(auth), params.required('GroupName'));
        const pg = paginate(users, (u) => u.userName.toLowerCase(), pageReq);
        return { Group: groupShape(group), Users: pg.items.map((u) => userShape(u)), ...pageMembers(pg.marker) };
      }),
      iamAction('ListGroups', 'iam:ListGroups', () => '*', async ({ auth, params }) => {
        const prefix = pathPrefixOf(params);
        const pageReq = pageParams(params);
        const { groups } = await this.groups.list(callerAccount(auth));
        const pg = paginate(
          groups.filter((g) => !prefix || g.path.startsWith(prefix)),
          (g) => g.groupName.toLowerCase(),
          pageReq,
        );
        return { Groups: pg.items.map(groupShape), ...pageMembers(pg.marker) };
      }),
      iamAction('DeleteGroup', 'iam:DeleteGroup', groupRes, async ({ auth, params, client }) => {
        await this.groups.delete(auth, callerAccount(auth), params.required('GroupName'), client);
        return undefined;
      }),
      iamAction('AddUserToGroup', 'iam:AddUserToGroup', groupRes, async ({ auth, params, client }) => {
        await this.groups.addUser(auth, callerAccount(auth), params.required('GroupName'), params.required('UserName'), client);
        return undefined;
      }),
      iamAction('RemoveUserFromGroup', 'iam:RemoveUserFromGroup', groupRes, async ({ auth, params, client }) => {
        await this.groups.removeUser(auth, callerAccount(auth), params.required('GroupName'), params.required('UserName'), client);
        return undefined;
      }),
      iamAction('ListGroupsForUser', 'iam:ListGroupsForUser', userRes, async ({ auth, params }) => {
        const pageReq = pageParams(params);
        const { groups } = await this.groups.groupsForUser(callerAccount(auth), params.required('UserName'));
        const pg = paginate(groups, (g) => g.groupName.toLowerCase(), pageReq);
        return { Groups: pg.items.map(groupShape), ...pageMembers(pg.marker) };
      }),
    ];
  }
}
