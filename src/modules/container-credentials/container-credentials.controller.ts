import { Controller, Get, Headers, Header, UseFilters } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { ClientInfo } from '../../common/auth/auth-context.js';
import { Client, Public } from '../../common/auth/auth.decorators.js';
import { ContainerErrorFilter } from './container-error.filter.js';
import { ContainerTokensService } from './container-tokens.service.js';

/**
 * The endpoint the AWS SDKs and CLIs call for container credentials
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN).
 * Public as far as the global guard goes: the token is checked by the service.
 */
@ApiTags('container credentials')
@Controller('v1/container-credentials')
@UseFilters(ContainerErrorFilter)
export class ContainerCredentialsController {
  constructor(private readonly tokens: ContainerTokensService) {}

  @Get()
  @Public()
  @Header('cache-control', 'no-store')
  @ApiHeader({ name: 'Authorization', description: 'The container token (cbct_…), as-is', required: true })
  credentials(@Headers('authorization') authorization: string | undefined, @Client() client: ClientInfo) {
    return this.tokens.credentials(authorization, client);
  }
}
