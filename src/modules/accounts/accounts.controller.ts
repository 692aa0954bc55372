import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { AuthMethods, Authorize, Client, CurrentAuth, OperatorOnly, RootOnly } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { AccountsService } from './accounts.service.js';
import { PasswordPolicyService } from './password-policy.service.js';
import { AccountAliasDto, AwsLinkDto, ChangeRootEmailDto, CreateAccountDto, ListQueryDto, PasswordPolicyDto, UpdateAccountDto } from './dto/accounts.dto.js';

@ApiTags('accounts')
@ApiBearerAuth()
@Controller('v1/accounts')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly passwordPolicy: PasswordPolicyService,
  ) {}

  @Post()
  @OperatorOnly()
  create(@CurrentAuth() auth: AuthContext, @Body() dto: CreateAccountDto, @Client() client: ClientInfo) {
    return this.accounts.create(auth, dto, client);
  }

  @Get()
  @OperatorOnly()
  list(@Query() q: ListQueryDto) {
    return this.accounts.list({ marker: q.marker, maxItems: q.maxItems ?? 100 });
  }

  @Get(':accountId')
  @AuthMethods('operator-token', 'console-session')
  @Authorize('iam:GetAccountSummary', Res.all())
  get(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string) {
    return this.accounts.get(auth, accountId);
  }

  @Put(':accountId/aws-link')
  @OperatorOnly()
  linkAws(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: AwsLinkDto, @Client() client: ClientInfo) {
    return this.accounts.linkAws(auth, accountId, dto.awsAccountId ?? null, client);
  }

  @Patch(':accountId')
  @RootOnly()
  update(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: UpdateAccountDto, @Client() client: ClientInfo) {
    return this.accounts.update(auth, accountId, dto, client);
  }

  @Put(':accountId/root/email')
  @RootOnly()
  changeRootEmail(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: ChangeRootEmailDto, @Client() client: ClientInfo) {
    return this.accounts.changeRootEmail(auth, accountId, dto.newEmail, dto.password, client);
  }

  @Put(':accountId/alias')
  @Authorize('iam:CreateAccountAlias', Res.all())
  setAlias(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: AccountAliasDto, @Client() client: ClientInfo) {
    return this.accounts.setAlias(auth, accountId, dto.alias, client);
  }

  @Delete(':accountId/alias')
  @HttpCode(204)
  @Authorize('iam:DeleteAccountAlias', Res.all())
  async deleteAlias(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Client() client: ClientInfo) {
    await this.accounts.setAlias(auth, accountId, null, client);
  }

  @Get(':accountId/password-policy')
  @Authorize('iam:GetAccountPasswordPolicy', Res.all())
  getPasswordPolicy(@Param('accountId') accountId: string) {
    return this.passwordPolicy.get(accountId);
  }

  @Put(':accountId/password-policy')
  @Authorize('iam:UpdateAccountPasswordPolicy', Res.all())
  putPasswordPolicy(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: PasswordPolicyDto, @Client() client: ClientInfo) {
    return this.passwordPolicy.put(auth, accountId, dto, client);
  }

  @Delete(':accountId/password-policy')
  @HttpCode(204)
  @Authorize('iam:DeleteAccountPasswordPolicy', Res.all())
  async deletePasswordPolicy(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Client() client: ClientInfo) {
    await this.passwordPolicy.delete(auth, accountId, client);
  }
}
