import { Injectable } from '@nestjs/common';
import { DomainError } from '../../../common/errors/domain-error.js';
import { ChangePasswordDto } from '../../accounts/dto/accounts.dto.js';
import { CreateLoginProfileDto, UpdateLoginProfileDto } from '../../users/dto/users.dto.js';
import { UsersService } from '../../users/users.service.js';
import type { QueryAction, QueryActionSet } from '../query-action.js';
import { callerAccount, dateOf, iamAction, iamUserTarget, requiredUserName, userResource, validateAs } from './iam-shapes.js';

/**
 * Console passwords over AWS Query: CreateLoginProfile, UpdateLoginProfile,
 * DeleteLoginProfile, ChangePassword (UsersService, as REST). Passwords go
 * to the service only: never into a result, an error message or a log line.
 */
@Injectable()
export class LoginProfilesQueryActions implements QueryActionSet {
  constructor(private readonly users: UsersService) {}

  readonly actions: QueryAction[] = [
    iamAction(
      'CreateLoginProfile',
      'iam:CreateLoginProfile',
      ({ auth, params }, lookup) => {
        const t = iamUserTarget(auth, params);
        return userResource(t.accountId, t.userName, lookup);
      },
      async ({ auth, params, client }) => {
        const t = iamUserTarget(auth, params);
        const dto = validateAs(CreateLoginProfileDto, { password: params.str('Password') ?? '', passwordResetRequired: params.bool('PasswordResetRequired') });
        const p = await this.users.createLoginProfile(auth, t.accountId, t.userName, dto.password, dto.passwordResetRequired ?? false, client);
        return { LoginProfile: { UserName: p.userName, CreateDate: dateOf(p.createDate), PasswordResetRequired: p.passwordResetRequired } };
      },
    ),

    iamAction(
      'UpdateLoginProfile',
      'iam:UpdateLoginProfile',
      ({ auth, params }, lookup) => userResource(callerAccount(auth), requiredUserName(params), lookup),
      async ({ auth, params, client }) => {
        const dto = validateAs(UpdateLoginProfileDto, { password: params.str('Password'), passwordResetRequired: params.bool('PasswordResetRequired') });
        await this.users.updateLoginProfile(auth, callerAccount(auth), requiredUserName(params), dto, client);
        return undefined;
      },
    ),

    iamAction(
      'DeleteLoginProfile',
      'iam:DeleteLoginProfile',
      ({ auth, params }, lookup) => {
        const t = iamUserTarget(auth, params);
        return userResource(t.accountId, t.userName, lookup);
      },
      async ({ auth, params, client }) => {
        const t = iamUserTarget(auth, params);
        await this.users.deleteLoginProfile(auth, t.accountId, t.userName, client);
        return undefined;
      },
    ),

    // The calling IAM user's own password (REST: Res.self()).
    iamAction(
      'ChangePassword',
      'iam:ChangePassword',
      ({ auth }) => auth.principal.arn,
      async ({ auth, params, client }) => {
        if (auth.principal.kind !== 'IAMUser' || auth.session?.type === 'AssumedRole' || auth.session?.type === 'FederatedUser') {
          throw DomainError.validation('ChangePassword changes the password of the calling IAM user: call it with an IAM user\'s credentials.');
        }
        const dto = validateAs(ChangePasswordDto, { oldPassword: params.required('OldPassword'), newPassword: params.required('NewPassword') });
        await this.users.changeOwnPassword(auth, dto.oldPassword, dto.newPassword, client);
        return undefined;
      },
    ),
  ];
}
