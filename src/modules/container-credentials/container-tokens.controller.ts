import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { ContainerTokensService } from './container-tokens.service.js';
import { CreateContainerTokenDto } from './dto/container-tokens.dto.js';

/** Container-credentials tokens of an account; the token itself is in the create response only. */
@ApiTags('container credentials')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/container-tokens')
export class ContainerTokensController {
  constructor(private readonly tokens: ContainerTokensService) {}

  @Post()
  @Header('cache-control', 'no-store')
  @Authorize('sts:CreateContainerToken', Res.account())
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: CreateContainerTokenDto, @Client() client: ClientInfo) {
    return this.tokens.create(auth, accountId, dto, client);
  }

  @Get()
  @Authorize('sts:ListContainerTokens', Res.account())
  list(@Param('accountId') accountId: string) {
    return this.tokens.list(accountId);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authorize('sts:DeleteContainerToken', Res.account())
  async revoke(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('id') id: string, @Client() client: ClientInfo) {
    await this.tokens.revoke(auth, accountId, id, client);
  }
}
