import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { CreateOidcProviderDto, UpdateOidcProviderDto } from './dto/oidc.dto.js';
import { OidcProvidersService } from './oidc-providers.service.js';

/** OIDC identity providers (IAM OpenIDConnectProvider): whose web identity tokens the account accepts. */
@ApiTags('oidc providers')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/oidc-providers')
export class OidcProvidersController {
  constructor(private readonly providers: OidcProvidersService) {}

  @Post()
  @Authorize('iam:CreateOpenIDConnectProvider', Res.newOidcProvider())
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: CreateOidcProviderDto, @Client() client: ClientInfo) {
    return this.providers.create(auth, accountId, dto, client);
  }

  @Get()
  @Authorize('iam:ListOpenIDConnectProviders', Res.all())
  list(@Param('accountId') accountId: string) {
    return this.providers.list(accountId);
  }

  @Get(':providerId')
  @Authorize('iam:GetOpenIDConnectProvider', Res.oidcProvider())
  get(@Param('accountId') accountId: string, @Param('providerId') providerId: string) {
    return this.providers.get(accountId, providerId);
  }

  @Patch(':providerId')
  @Authorize('iam:UpdateOpenIDConnectProvider', Res.oidcProvider())
  update(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('providerId') providerId: string, @Body() dto: UpdateOidcProviderDto, @Client() client: ClientInfo) {
    return this.providers.update(auth, accountId, providerId, dto, client);
  }

  @Delete(':providerId')
  @HttpCode(204)
  @Authorize('iam:DeleteOpenIDConnectProvider', Res.oidcProvider())
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('providerId') providerId: string, @Client() client: ClientInfo) {
    await this.providers.delete(auth, accountId, providerId, client);
  }
}
