import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { AllowRestricted, Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { ChangePasswordDto } from '../accounts/dto/accounts.dto.js';
import { CreateLoginProfileDto, UpdateLoginProfileDto } from './dto/users.dto.js';
import { UsersService } from './users.service.js';

/** Console passwords: administrators manage login profiles; anyone allowed changes their own. */
@ApiTags('login profiles')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId')
export class LoginProfilesController {
  constructor(private readonly users: UsersService) {}

  @Get('users/:userName/login-profile')
  @Authorize('iam:GetLoginProfile', Res.user())
  get(@Param('accountId') accountId: string, @Param('userName') userName: string) {
    return this.users.getLoginProfile(accountId, userName);
  }

  @Post('users/:userName/login-profile')
  @Authorize('iam:CreateLoginProfile', Res.user())
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Body() dto: CreateLoginProfileDto, @Client() client: ClientInfo) {
    return this.users.createLoginProfile(auth, accountId, userName, dto.password, dto.passwordResetRequired ?? false, client);
  }

  @Patch('users/:userName/login-profile')
  @Authorize('iam:UpdateLoginProfile', Res.user())
  update(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Body() dto: UpdateLoginProfileDto, @Client() client: ClientInfo) {
    return this.users.updateLoginProfile(auth, accountId, userName, dto, client);
  }

  @Delete('users/:userName/login-profile')
  @HttpCode(204)
  @Authorize('iam:DeleteLoginProfile', Res.user())
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Client() client: ClientInfo) {
    await this.users.deleteLoginProfile(auth, accountId, userName, client);
  }

  /** ChangePassword: the caller's own password (root or IAM user). */
  @Post('change-password')
  @HttpCode(204)
  @AllowRestricted('password-change')
  @Authorize('iam:ChangePassword', Res.self())
  async changePassword(@CurrentAuth() auth: AuthContext, @Body() dto: ChangePasswordDto, @Client() client: ClientInfo) {
    await this.users.changeOwnPassword(auth, dto.oldPassword, dto.newPassword, client);
  }
}
