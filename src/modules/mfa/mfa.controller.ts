import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { AllowRestricted, Authorize, Client, CurrentAuth, RootOnly } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { CreateMfaDeviceDto, EnableMfaDeviceDto, MfaSerialDto } from './dto/mfa.dto.js';
import { MfaService } from './mfa.service.js';

/** IAM users' virtual MFA devices. Enrollment stays open to a session that must enroll first. */
@ApiTags('mfa')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/users/:userName/mfa-devices')
export class UserMfaController {
  constructor(private readonly mfa: MfaService) {}

  @Get()
  @AllowRestricted('mfa-enrollment')
  @Authorize('iam:ListMFADevices', Res.user())
  list(@Param('accountId') accountId: string, @Param('userName') userName: string) {
    return this.mfa.list({ accountId, userName });
  }

  @Post()
  @AllowRestricted('mfa-enrollment')
  @Authorize('iam:CreateVirtualMFADevice', Res.user())
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Body() dto: CreateMfaDeviceDto, @Client() client: ClientInfo) {
    return this.mfa.create(auth, { accountId, userName }, dto.deviceName, client);
  }

  @Post('enable')
  @AllowRestricted('mfa-enrollment')
  @Authorize('iam:EnableMFADevice', Res.user())
  enable(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Body() dto: EnableMfaDeviceDto, @Client() client: ClientInfo) {
    return this.mfa.enable(auth, { accountId, userName }, dto.serialNumber, dto.authenticationCode1, dto.authenticationCode2, client);
  }

  @Post('deactivate')
  @HttpCode(204)
  @Authorize('iam:DeactivateMFADevice', Res.user())
  async deactivate(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Body() dto: MfaSerialDto, @Client() client: ClientInfo) {
    await this.mfa.deactivate(auth, { accountId, userName }, dto.serialNumber, client);
  }

  @Delete()
  @HttpCode(204)
  @AllowRestricted('mfa-enrollment')
  @Authorize('iam:DeleteVirtualMFADevice', Res.user())
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('userName') userName: string, @Query() q: MfaSerialDto, @Client() client: ClientInfo) {
    await this.mfa.delete(auth, { accountId, userName }, q.serialNumber, client);
  }
}

/** The root user's own MFA devices (root-only, as in AWS). */
@ApiTags('mfa')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/root/mfa-devices')
@RootOnly()
@AllowRestricted('mfa-enrollment')
export class RootMfaController {
  constructor(private readonly mfa: MfaService) {}

  @Get()
  list(@Param('accountId') accountId: string) {
    return this.mfa.list({ accountId, userName: null });
  }

  @Post()
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: CreateMfaDeviceDto, @Client() client: ClientInfo) {
    return this.mfa.create(auth, { accountId, userName: null }, dto.deviceName, client);
  }

  @Post('enable')
  enable(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: EnableMfaDeviceDto, @Client() client: ClientInfo) {
    return this.mfa.enable(auth, { accountId, userName: null }, dto.serialNumber, dto.authenticationCode1, dto.authenticationCode2, client);
  }

  @Post('deactivate')
  @HttpCode(204)
  async deactivate(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: MfaSerialDto, @Client() client: ClientInfo) {
    await this.mfa.deactivate(auth, { accountId, userName: null }, dto.serialNumber, client);
  }

  @Delete()
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Query() q: MfaSerialDto, @Client() client: ClientInfo) {
    await this.mfa.delete(auth, { accountId, userName: null }, q.serialNumber, client);
  }
}
