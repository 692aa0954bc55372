import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { ListSessionsQueryDto, RevokeSessionsDto } from './dto/sts-sessions.dto.js';
import { SessionRevocationService } from './session-revocation.service.js';

/** Issued sessions (metadata only) and their revocation. Broker actions: sts:ListSessions, sts:RevokeSessions. */
@ApiTags('sts')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/sts')
export class StsSessionsController {
  constructor(private readonly revocation: SessionRevocationService) {}

  @Get('sessions')
  @Authorize('sts:ListSessions', Res.account())
  list(@Param('accountId') accountId: string, @Query() q: ListSessionsQueryDto) {
    return this.revocation.list(accountId, q);
  }

  @Post('revocations')
  @HttpCode(200)
  @Authorize('sts:RevokeSessions', Res.account())
  revoke(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: RevokeSessionsDto, @Client() client: ClientInfo) {
    return this.revocation.revoke(auth, accountId, dto, client);
  }
}
