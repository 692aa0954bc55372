import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { RESOURCE_LOOKUP } from '../common/auth/resource.js';
import { AccessKeyReportController, RootAccessKeysController, UserAccessKeysController } from './access-keys/access-keys.controller.js';
import { AccessKeysRepository } from './access-keys/access-keys.repository.js';
import { AccessKeysService } from './access-keys/access-keys.service.js';
import { KeyCache } from './access-keys/key-cache.js';
import { SigV4Authenticator } from './access-keys/sigv4-authenticator.service.js';
import { UsageRecorder } from './access-keys/usage-recorder.js';
import { SigV4Strategy } from './auth/strategies/sigv4.strategy.js';
import { MasterKeyRotationService } from './secrets/master-key-rotation.service.js';
import { AccountsController } from './accounts/accounts.controller.js';
import { AccountsRepository } from './accounts/accounts.repository.js';
import { AccountsService } from './accounts/accounts.service.js';
import { PasswordPolicyService } from './accounts/password-policy.service.js';
import { AccessGate } from './auth/access-gate.service.js';
import { AuthGuard } from './auth/auth.guard.js';
import { SessionsRepository } from './auth/sessions.repository.js';
import { SignInController } from './auth/signin.controller.js';
import { SignInService } from './auth/signin.service.js';
import { ConsoleSessionStrategy } from './auth/strategies/console-session.strategy.js';
import { OperatorTokenStrategy } from './auth/strategies/operator-token.strategy.js';
import { PasswordStrategy } from './auth/strategies/password.strategy.js';
import { ThrottleRepository } from './auth/throttle.repository.js';
import { ThrottleService } from './auth/throttle.service.js';
import { GroupsController } from './groups/groups.controller.js';
import { GroupsRepository } from './groups/groups.repository.js';
import { GroupsService } from './groups/groups.service.js';
import { Mailer } from './mailer/mailer.js';
import { OutboxMailer } from './mailer/outbox.mailer.js';
import { RootMfaController, UserMfaController } from './mfa/mfa.controller.js';
import { MfaRepository } from './mfa/mfa.repository.js';
import { MfaService } from './mfa/mfa.service.js';
import { OperatorsRepository } from './operators/operators.repository.js';
import { OperatorsService } from './operators/operators.service.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { PasswordService } from './passwords/password.service.js';
import { AuthorizationService } from './policies/authorization.service.js';
import { IdentityPolicyCache } from './policies/identity-policy-cache.js';
import { IamResourceLookup } from './policies/iam-resource-lookup.js';
import { GroupPoliciesController, UserPoliciesController } from './policies/owner-policies.controller.js';
import { PoliciesController } from './policies/policies.controller.js';
import { PoliciesRepository } from './policies/policies.repository.js';
import { PoliciesService } from './policies/policies.service.js';
import { LoginProfilesController } from './users/login-profiles.controller.js';
import { UsersController } from './users/users.controller.js';
import { UsersRepository } from './users/users.repository.js';
import { UsersService } from './users/users.service.js';
import { ROLES_CONTROLLERS, ROLES_PROVIDERS } from './roles/roles.wiring.js';
import { OIDC_CONTROLLERS, OIDC_PROVIDERS } from './oidc/oidc.wiring.js';
import { STS_CONTROLLERS, STS_PROVIDERS } from './sts/sts.wiring.js';
import { CONTAINER_CONTROLLERS, CONTAINER_PROVIDERS } from './container-credentials/container.wiring.js';
import { AWS_QUERY_CONTROLLERS, AWS_QUERY_PROVIDERS } from './aws-query/aws-query.wiring.js';
import { GRAPHQL_PROVIDERS } from './graphql/graphql.wiring.js';

/**
 * Identity: accounts, root and IAM users, groups, roles, policies, console
 * sign-in, MFA, access keys with SigV4 authentication, OIDC providers, STS and
 * its temporary credentials, and the global guard that authenticates and
 * authorizes every route. One module because these depend on each other both
 * ways (the SigV4 authenticator resolves STS sessions; STS authorizes through
 * the policies); each feature lists its own parts in its `*.wiring.ts`.
 */
@Module({
  imports: [PassportModule],
  controllers: [
    SignInController,
    AccountsController,
    UsersController,
    LoginProfilesController,
    UserMfaController,
    RootMfaController,
    GroupsController,
    PoliciesController,
    UserPoliciesController,
    GroupPoliciesController,
    UserAccessKeysController,
    RootAccessKeysController,
    AccessKeyReportController,
    ...ROLES_CONTROLLERS,
    ...OIDC_CONTROLLERS,
    ...STS_CONTROLLERS,
    ...CONTAINER_CONTROLLERS,
    ...AWS_QUERY_CONTROLLERS,
  ],
  providers: [
    AccountsRepository,
    AccessKeysRepository,
    AccessKeysService,
    MasterKeyRotationService,
    KeyCache,
    UsageRecorder,
    SigV4Authenticator,
    SigV4Strategy,
    UsersRepository,
    GroupsRepository,
    PoliciesRepository,
    MfaRepository,
    SessionsRepository,
    ThrottleRepository,
    OperatorsRepository,
    AccountsService,
    PasswordPolicyService,
    UsersService,
    GroupsService,
    PoliciesService,
    MfaService,
    SignInService,
    ThrottleService,
    OperatorsService,
    PasswordHasher,
    PasswordService,
    AuthorizationService,
    AccessGate,
    IdentityPolicyCache,
    PasswordStrategy,
    ConsoleSessionStrategy,
    OperatorTokenStrategy,
    { provide: Mailer, useClass: OutboxMailer },
    { provide: RESOURCE_LOOKUP, useClass: IamResourceLookup },
    { provide: APP_GUARD, useClass: AuthGuard },
    ...ROLES_PROVIDERS,
    ...OIDC_PROVIDERS,
    ...STS_PROVIDERS,
    ...CONTAINER_PROVIDERS,
    ...AWS_QUERY_PROVIDERS,
    ...GRAPHQL_PROVIDERS,
  ],
  exports: [OperatorsService, AccountsService, AuthorizationService, AccessGate, RESOURCE_LOOKUP, UsersRepository, AccessKeysService, MasterKeyRotationService],
})
export class IdentityModule {}
