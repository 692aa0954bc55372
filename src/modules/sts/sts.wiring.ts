import type { Provider, Type } from '@nestjs/common';
import { TEMPORARY_CREDENTIALS } from '../access-keys/sigv4-authenticator.service.js';
import { IssuanceWriter } from './issuance-writer.js';
import { SessionCredentialsResolver } from './session-credentials.resolver.js';
import { SessionPolicyLoader } from './session-policy.loader.js';
import { SessionRevocationService } from './session-revocation.service.js';
import { StsSessionsController } from './sts-sessions.controller.js';
import { StsSessionsRepository } from './sts-sessions.repository.js';
import { StsController } from './sts.controller.js';
import { StsService } from './sts.service.js';

/** STS operations, the local issuer, session credentials and revocation. */
export const STS_CONTROLLERS: Type<unknown>[] = [StsController, StsSessionsController];
export const STS_PROVIDERS: Provider[] = [
  StsSessionsRepository,
  SessionPolicyLoader,
  SessionCredentialsResolver,
  { provide: TEMPORARY_CREDENTIALS, useExisting: SessionCredentialsResolver },
  IssuanceWriter,
  StsService,
  SessionRevocationService,
];
