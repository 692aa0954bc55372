import type { Provider, Type } from '@nestjs/common';
import { JwksSource } from './jwks-source.js';
import { OidcProvidersController } from './oidc-providers.controller.js';
import { OidcProvidersRepository } from './oidc-providers.repository.js';
import { OidcProvidersService } from './oidc-providers.service.js';
import { WebIdentityVerifier } from './web-identity-verifier.js';

/** OIDC identity providers and web identity token verification. */
export const OIDC_CONTROLLERS: Type<unknown>[] = [OidcProvidersController];
export const OIDC_PROVIDERS: Provider[] = [OidcProvidersRepository, OidcProvidersService, JwksSource, WebIdentityVerifier];
