import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { CreateRoleDto, ListRolesQueryDto, TrustPolicyDto, UpdateRoleDto } from './dto/roles.dto.js';
import { RolesService } from './roles.service.js';

@ApiTags('roles')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/roles')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Post()
  @Authorize('iam:CreateRole', Res.newRole())
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: CreateRoleDto, @Client() client: ClientInfo) {
    return this.roles.create(auth, accountId, dto, client);
  }

  @Get()
  @Authorize('iam:ListRoles', Res.all())
  list(@Param('accountId') accountId: string, @Query() q: ListRolesQueryDto) {
    return this.roles.list(accountId, q);
  }

  @Get(':roleName')
  @Authorize('iam:GetRole', Res.role())
  get(@Param('accountId') accountId: string, @Param('roleName') roleName: string) {
    return this.roles.get(accountId, roleName);
  }

  @Patch(':roleName')
  @Authorize('iam:UpdateRole', Res.role())
  update(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('roleName') roleName: string, @Body() dto: UpdateRoleDto, @Client() client: ClientInfo) {
    return this.roles.update(auth, accountId, roleName, dto, client);
  }

  @Put(':roleName/trust-policy')
  @Authorize('iam:UpdateAssumeRolePolicy', Res.role())
  updateTrustPolicy(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('roleName') roleName: string, @Body() dto: TrustPolicyDto, @Client() client: ClientInfo) {
    return this.roles.updateTrustPolicy(auth, accountId, roleName, dto.document, client);
  }

  @Delete(':roleName')
  @HttpCode(204)
  @Authorize('iam:DeleteRole', Res.role())
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('roleName') roleName: string, @Client() client: ClientInfo) {
    await this.roles.delete(auth, accountId, roleName, client);
  }
}
