import type { Provider, Type } from '@nestjs/common';
import { ContainerCredentialsController } from './container-credentials.controller.js';
import { ContainerTokensController } from './container-tokens.controller.js';
import { ContainerTokensRepository } from './container-tokens.repository.js';
import { ContainerTokensService } from './container-tokens.service.js';

/** Container credentials: scoped tokens and the endpoint the AWS SDKs read. */
export const CONTAINER_CONTROLLERS: Type<unknown>[] = [ContainerTokensController, ContainerCredentialsController];
export const CONTAINER_PROVIDERS: Provider[] = [ContainerTokensRepository, ContainerTokensService];
