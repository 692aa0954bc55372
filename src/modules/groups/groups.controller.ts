import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { CreateGroupDto } from './dto/groups.dto.js';
import { GroupsService } from './groups.service.js';

@ApiTags('groups')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @Authorize('iam:CreateGroup', Res.newGroup())
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: CreateGroupDto, @Client() client: ClientInfo) {
    return this.groups.create(auth, accountId, dto, client);
  }

  @Get()
  @Authorize('iam:ListGroups', Res.all())
  list(@Param('accountId') accountId: string) {
    return this.groups.list(accountId);
  }

  @Get(':groupName')
  @Authorize('iam:GetGroup', Res.group())
  get(@Param('accountId') accountId: string, @Param('groupName') name: string) {
    return this.groups.get(accountId, name);
  }

  @Delete(':groupName')
  @HttpCode(204)
  @Authorize('iam:DeleteGroup', Res.group())
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('groupName') name: string, @Client() client: ClientInfo) {
    await this.groups.delete(auth, accountId, name, client);
  }

  @Put(':groupName/users/:userName')
  @HttpCode(204)
  @Authorize('iam:AddUserToGroup', Res.group())
  async addUser(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('groupName') name: string, @Param('userName') userName: string, @Client() client: ClientInfo) {
    await this.groups.addUser(auth, accountId, name, userName, client);
  }

  @Delete(':groupName/users/:userName')
  @HttpCode(204)
  @Authorize('iam:RemoveUserFromGroup', Res.group())
  async removeUser(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('groupName') name: string, @Param('userName') userName: string, @Client() client: ClientInfo) {
    await this.groups.removeUser(auth, accountId, name, userName, client);
  }
}
