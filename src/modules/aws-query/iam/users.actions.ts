import { Injectable } from '@nestjs/common';
import { userArn } from '../../../common/arn.js';
import { DomainError } from '../../../common/errors/domain-error.js';
import { CreateUserDto, ListUsersQueryDto, tagsToRecord, UpdateUserDto } from '../../users/dto/users.dto.js';
import { userView } from '../../users/user.views.js';
import { UsersRepository } from '../../users/users.repository.js';
import { UsersService } from '../../users/users.service.js';
import type { QueryAction, QueryActionSet } from '../query-action.js';
import { callerAccount, iamAction, pageMembers, pageParams, requiredUserName, tagsParam, targetResource, userResource, userShape, userTarget, validateAs } from './iam-shapes.js';

/** IAM users over AWS Query: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser (UsersService, as REST). */
@Injectable()
export class UsersQueryActions implements QueryActionSet {
  constructor(
    private readonly users: UsersService,
    private readonly repo: UsersRepository,
  ) {}

  readonly actions: QueryAction[] = [
    iamAction(
      'CreateUser',
      'iam:CreateUser',
      ({ auth, params }) => {
        // As REST's Res.newUser(): the ARN the user will have.
        const name = requiredUserName(params);
        try {
          return userArn(callerAccount(auth), params.str('Path') ?? '/', name);
        } catch (e) {
          if (e instanceof RangeError) throw DomainError.validation('Path must be "/" or start and end with "/" (1-512 printable ASCII characters).');
          throw e;
        }
      },
      async ({ auth, params, client }) => {
        if (params.has('PermissionsBoundary')) throw DomainError.validation('Permissions boundaries are not supported by this broker.');
        const tags = tagsParam(params);
        const dto = validateAs(CreateUserDto, {
          userName: requiredUserName(params),
          path: params.str('Path'),
          tags: tags && Object.entries(tags).map(([key, value]) => ({ key, value })),
        });
        const u = await this.users.create(auth, callerAccount(auth), { userName: dto.userName, path: dto.path, tags: tagsToRecord(dto.tags) }, client);
        return { User: userShape(u, { tags: true }) };
      },
    ),

    iamAction(
      'GetUser',
      'iam:GetUser',
      ({ auth, params }, lookup) => targetResource(auth, userTarget(auth, params), lookup),
      async ({ auth, params }) => {
        const t = userTarget(auth, params);
        if (t.userName !== null) return { User: userShape(await this.users.get(t.accountId, t.userName), { tags: true }) };
        const root = await this.repo.findRoot(t.accountId);
        if (!root) throw DomainError.noSuchEntity('The user');
        return { User: userShape(userView(root)) };
      },
    ),

    iamAction(
      'ListUsers',
      'iam:ListUsers',
      () => '*',
      async ({ auth, params }) => {
        const page = pageParams(params);
        const q = validateAs(ListUsersQueryDto, { pathPrefix: params.str('PathPrefix'), marker: page.marker, maxItems: page.maxItems });
        if (q.pathPrefix !== undefined && !/^\/[\u0021-\u007F]*$/.test(q.pathPrefix)) throw DomainError.validation('PathPrefix must start with "/" and contain printable ASCII characters only.');
        const res = await this.users.list(callerAccount(auth), q);
        return { Users: res.users.map((u) => userShape(u)), ...pageMembers(res.marker) };
      },
    ),

    iamAction(
      'UpdateUser',
      'iam:UpdateUser',
      ({ auth, params }, lookup) => userResource(callerAccount(auth), requiredUserName(params), lookup),
      async ({ auth, params, client }) => {
        const userName = requiredUserName(params);
        const dto = validateAs(UpdateUserDto, { newUserName: params.str('NewUserName'), newPath: params.str('NewPath') });
        await this.users.update(auth, callerAccount(auth), userName, dto, client);
        return undefined;
      },
    ),

    iamAction(
      'DeleteUser',
      'iam:DeleteUser',
      ({ auth, params }, lookup) => userResource(callerAccount(auth), requiredUserName(params), lookup),
      async ({ auth, params, client }) => {
        await this.users.delete(auth, callerAccount(auth), requiredUserName(params), client);
        return undefined;
      },
    ),
  ];
}
