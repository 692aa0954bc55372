import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { GroupsService } from '../groups/groups.service.js';
import { CreateUserDto, ListUsersQueryDto, TagUserDto, tagsToRecord, UntagUserDto, UpdateUserDto } from './dto/users.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly groups: GroupsService,
  ) {}

  @Post()
  @Authorize('iam:CreateUser', Res.newUser())
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: CreateUserDto, @Client() client: ClientInfo) {
    return this.users.create(auth, accountId, { userName: dto.userName, path: dto.path, tags: tagsToRecord(dto.tags), awsUserName: dto.awsUserName }, client);
  }

  @Get()
  @Authorize('iam:ListUsers', Res.all())
  list(@Param('accountId') accountId: string, @Query() q: ListUsersQueryDto) {
    return this.users.list(accountId, q);
  }

  @Get(':userName')
  @Authorize('iam:GetUser', Res.user())
  get(@Param('accountId') accountId: string, @Param('userName') userName: string) {
    return this.users.get(accountId, userName);
  }

  @Patch(':userName')
  @Authorize('iam:UpdateUser', Res.user())
  update(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Body() dto: UpdateUserDto, @Client() client: ClientInfo) {
    return this.users.update(auth, accountId, userName, dto, client);
  }

  @Delete(':userName')
  @HttpCode(204)
  @Authorize('iam:DeleteUser', Res.user())
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Client() client: ClientInfo) {
    await this.users.delete(auth, accountId, userName, client);
  }

  @Post(':userName/tags')
  @Authorize('iam:TagUser', Res.user())
  tag(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Body() dto: TagUserDto, @Client() client: ClientInfo) {
    return this.users.setTags(auth, accountId, userName, tagsToRecord(dto.tags), [], client);
  }

  @Post(':userName/untag')
  @Authorize('iam:UntagUser', Res.user())
  untag(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Body() dto: UntagUserDto, @Client() client: ClientInfo) {
    return this.users.setTags(auth, accountId, userName, {}, dto.tagKeys, client);
  }

  @Get(':userName/groups')
  @Authorize('iam:ListGroupsForUser', Res.user())
  groupsForUser(@Param('accountId') accountId: string, @Param('userName') userName: string) {
    return this.groups.groupsForUser(accountId, userName);
  }
}
