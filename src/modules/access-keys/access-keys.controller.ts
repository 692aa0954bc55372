import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res as Reply } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth, RootOnly } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { AccessKeysService, type KeyOwner } from './access-keys.service.js';
import { CreateAccessKeyQueryDto, DeleteAccessKeyDto, UpdateAccessKeyDto } from './dto/access-keys.dto.js';

async function sendCreated(reply: FastifyReply, format: string | undefined, created: Awaited<ReturnType<AccessKeysService['create']>>) {
  reply.header('cache-control', 'no-store');
  if (format === 'csv') {
    return reply
      .status(201)
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${created.accessKey.accessKeyId}_accessKeys.csv"`)
      .send(created.csv);
  }
  return reply.status(201).send(created);
}

/** IAM users' access keys; the secret is in the create response only. */
@ApiTags('access keys')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/users/:userName/access-keys')
export class UserAccessKeysController {
  constructor(private readonly keys: AccessKeysService) {}

  private owner(accountId: string, userName: string): KeyOwner {
    return { accountId, userName };
  }

  @Post()
  @Authorize('iam:CreateAccessKey', Res.user())
  async create(
    @CurrentAuth() auth: AuthContext,
    @Param('accountId') accountId: string,
    @Param('userName') userName: string,
    @Query() q: CreateAccessKeyQueryDto,
    @Client() client: ClientInfo,
    @Reply() reply: FastifyReply,
  ) {
    return sendCreated(reply, q.format, await this.keys.create(auth, this.owner(accountId, userName), client));
  }

  @Get()
  @Authorize('iam:ListAccessKeys', Res.user())
  list(@Param('accountId') accountId: string, @Param('userName') userName: string) {
    return this.keys.list(this.owner(accountId, userName));
  }

  @Patch(':accessKeyId')
  @Authorize('iam:UpdateAccessKey', Res.user())
  update(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Param('accessKeyId') id: string, @Body() dto: UpdateAccessKeyDto, @Client() client: ClientInfo) {
    return this.keys.updateStatus(auth, this.owner(accountId, userName), id, dto.status, client);
  }

  @Delete(':accessKeyId')
  @HttpCode(204)
  @Authorize('iam:DeleteAccessKey', Res.user())
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Param('accessKeyId') id: string, @Body() dto: DeleteAccessKeyDto, @Client() client: ClientInfo) {
    await this.keys.delete(auth, this.owner(accountId, userName), id, dto?.confirmAccessKeyId, client);
  }

  @Get(':accessKeyId/last-used')
  @Authorize('iam:GetAccessKeyLastUsed', Res.user())
  lastUsed(@Param('accountId') accountId: string, @Param('userName') userName: string, @Param('accessKeyId') id: string) {
    return this.keys.lastUsed(this.owner(accountId, userName), id);
  }
}

/** The root user's own access keys (root only; locked by default per account setting). */
@ApiTags('access keys')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/root/access-keys')
@RootOnly()
export class RootAccessKeysController {
  constructor(private readonly keys: AccessKeysService) {}

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Query() q: CreateAccessKeyQueryDto, @Client() client: ClientInfo, @Reply() reply: FastifyReply) {
    return sendCreated(reply, q.format, await this.keys.create(auth, { accountId, userName: null }, client));
  }

  @Get()
  list(@Param('accountId') accountId: string) {
    return this.keys.list({ accountId, userName: null });
  }

  @Patch(':accessKeyId')
  update(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('accessKeyId') id: string, @Body() dto: UpdateAccessKeyDto, @Client() client: ClientInfo) {
    return this.keys.updateStatus(auth, { accountId, userName: null }, id, dto.status, client);
  }

  @Delete(':accessKeyId')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('accessKeyId') id: string, @Body() dto: DeleteAccessKeyDto, @Client() client: ClientInfo) {
    await this.keys.delete(auth, { accountId, userName: null }, id, dto?.confirmAccessKeyId, client);
  }

  @Get(':accessKeyId/last-used')
  lastUsed(@Param('accountId') accountId: string, @Param('accessKeyId') id: string) {
    return this.keys.lastUsed({ accountId, userName: null }, id);
  }
}

/** Key ages against the account's maximum (a credential-report style view). */
@ApiTags('access keys')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/access-key-report')
export class AccessKeyReportController {
  constructor(private readonly keys: AccessKeysService) {}

  @Get()
  @Authorize('iam:GetCredentialReport', Res.all())
  report(@Param('accountId') accountId: string) {
    return this.keys.report(accountId);
  }
}
