import { Body, Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { AllowRestricted, AuthenticatedOnly, Client, CurrentAuth, Public } from '../../common/auth/auth.decorators.js';
import { StsService } from './sts.service.js';

/**
 * STS over REST: JSON bodies with AWS's parameter names, answers in AWS's
 * shapes. Each operation checks its own rules (trust policies, the caller's
 * policies, long-term-only operations), so the routes need authentication only;
 * AssumeRoleWithWebIdentity needs none (the token is the proof).
 */
@ApiTags('sts')
@ApiBearerAuth()
@Controller('v1/sts')
export class StsController {
  constructor(private readonly sts: StsService) {}

  @Post('get-session-token')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @AuthenticatedOnly()
  getSessionToken(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Client() client: ClientInfo) {
    return this.sts.getSessionToken(auth, body ?? {}, client);
  }

  @Post('assume-role')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @AuthenticatedOnly()
  assumeRole(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Client() client: ClientInfo) {
    return this.sts.assumeRole(auth, body ?? {}, client);
  }

  @Post('get-federation-token')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @AuthenticatedOnly()
  getFederationToken(@CurrentAuth() auth: AuthContext, @Body() body: unknown, @Client() client: ClientInfo) {
    return this.sts.getFederationToken(auth, body ?? {}, client);
  }

  @Post('assume-role-with-web-identity')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @Public()
  assumeRoleWithWebIdentity(@Body() body: unknown, @Client() client: ClientInfo) {
    return this.sts.assumeRoleWithWebIdentity(body ?? {}, client);
  }

  @Get('get-caller-identity')
  @AuthenticatedOnly()
  @AllowRestricted('mfa-enrollment', 'password-change')
  callerIdentity(@CurrentAuth() auth: AuthContext) {
    return this.sts.callerIdentity(auth);
  }

  @Post('get-caller-identity')
  @HttpCode(200)
  @AuthenticatedOnly()
  @AllowRestricted('mfa-enrollment', 'password-change')
  callerIdentityPost(@CurrentAuth() auth: AuthContext) {
    return this.sts.callerIdentity(auth);
  }
}
