import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext, AuthMethod } from '../../common/auth/auth-context.js';
import {
  ACTION_KEY,
  type ActionSpec,
  AUTHENTICATED_ONLY_KEY,
  clientInfoOf,
  DEFAULT_METHODS,
  ENROLL_OK_KEY,
  METHODS_KEY,
  PUBLIC_KEY,
  ROOT_ONLY_KEY,
} from '../../common/auth/auth.decorators.js';
import { RESOURCE_LOOKUP, type ResourceLookup } from '../../common/auth/resource.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { PLATFORM_CHAIN } from '../audit/audit.service.js';
import { FailureAggregator } from '../audit/failure-aggregator.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AccessGate } from './access-gate.service.js';
import { ConsoleSessionStrategy } from './strategies/console-session.strategy.js';
import { OperatorTokenStrategy } from './strategies/operator-token.strategy.js';
import { PasswordStrategy } from './strategies/password.strategy.js';
import { SigV4Strategy } from './strategies/sigv4.strategy.js';

type AuthedRequest = FastifyRequest & { auth?: AuthContext };

/** What a route declares, read once per handler (the guard runs on every request). */
interface RouteSecurity {
  isPublic: boolean;
  methods: AuthMethod[];
  action?: ActionSpec;
  authenticatedOnly: boolean;
  rootOnly: boolean;
  allowedRestrictions: string[];
}

/**
 * Which strategy can possibly recognise the request's credentials, from their
 * shape alone: a SigV4 header or presigned query, or a bearer token's prefix.
 * Strategies that cannot apply are not run at all.
 */
export function credentialKind(req: FastifyRequest): AuthMethod | null {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    if (h.startsWith('AWS4-')) return 'sigv4';
    if (h.startsWith('Bearer cbs_')) return 'console-session';
    if (h.startsWith('Bearer cbop_')) return 'operator-token';
    return null;
  }
  const url = req.raw.url ?? '';
  if (url.includes('X-Amz-Credential=') || url.includes('X-Amz-Signature=')) return 'sigv4';
  return null;
}

/**
 * The one global guard, deny by default. Each route declares who may call it
 * (@Public, @AuthMethods, @OperatorOnly) and what it does (@Authorize with an
 * action and resource ARN, @AuthenticatedOnly, @RootOnly). A route that
 * declares nothing is refused.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly gate: AccessGate,
    private readonly metrics: MetricsService,
    private readonly failures: FailureAggregator,
    @Inject(RESOURCE_LOOKUP) private readonly lookup: ResourceLookup,
    password: PasswordStrategy,
    sigv4: SigV4Strategy,
    consoleSession: ConsoleSessionStrategy,
    operatorToken: OperatorTokenStrategy,
  ) {
    this.strategies = { password, sigv4, 'console-session': consoleSession, 'operator-token': operatorToken };
  }

  /** The passport strategy for each authentication method. */
  private readonly strategies: Partial<Record<AuthMethod, { validate(req: FastifyRequest): Promise<AuthContext | null> }>>;

  private readonly routes = new WeakMap<object, RouteSecurity>();

  private meta<T>(key: string, ctx: ExecutionContext): T | undefined {
    return this.reflector.getAllAndOverride<T>(key, [ctx.getHandler(), ctx.getClass()]);
  }

  private security(ctx: ExecutionContext): RouteSecurity {
    const handler = ctx.getHandler();
    let sec = this.routes.get(handler);
    if (!sec) {
      sec = {
        isPublic: !!this.meta<boolean>(PUBLIC_KEY, ctx),
        methods: this.meta<AuthMethod[]>(METHODS_KEY, ctx) ?? DEFAULT_METHODS,
        action: this.meta<ActionSpec>(ACTION_KEY, ctx),
        authenticatedOnly: !!this.meta<boolean>(AUTHENTICATED_ONLY_KEY, ctx),
        rootOnly: !!this.meta<boolean>(ROOT_ONLY_KEY, ctx),
        allowedRestrictions: this.meta<string[]>(ENROLL_OK_KEY, ctx) ?? [],
      };
      this.routes.set(handler, sec);
    }
    return sec;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const type = ctx.getType<string>();
    if (type !== 'http' && type !== 'graphql') return false;
    const sec = this.security(ctx);
    if (sec.isPublic) return true;
    // GraphQL: the Fastify request and reply are on the resolver's context; one operation may run
    // several guarded fields, which share the request's authentication.
    const gql = type === 'graphql' ? GqlExecutionContext.create(ctx).getContext<{ req: AuthedRequest; reply: FastifyReply }>() : null;
    const req = gql ? gql.req : ctx.switchToHttp().getRequest<AuthedRequest>();

    const auth = gql && req.auth && sec.methods.includes(req.auth.method) ? req.auth : await this.authenticate(sec.methods, req);
    if (!auth) {
      this.metrics.refusals.inc({ code: ErrorCode.MissingAuthenticationToken });
      await this.auditRefusedToken(req, sec.methods);
      throw new DomainError(ErrorCode.MissingAuthenticationToken, 'This request needs valid credentials.');
    }
    req.auth = auth;

    // Another account's resources do not exist, as far as the caller can tell.
    const pathAccount = (req.params as Record<string, string | undefined>)?.accountId;
    if (pathAccount !== undefined && auth.accountId !== null && pathAccount !== auth.accountId) {
      throw DomainError.noSuchEntity('The account');
    }
    // Operators reach only the routes that name them, and nothing inside accounts.
    if (auth.method === 'operator-token') return true;

    if (auth.restriction && !sec.allowedRestrictions.includes(auth.restriction)) {
      this.metrics.refusals.inc({ code: 'Restricted' });
      throw auth.restriction === 'mfa-enrollment'
        ? new DomainError(ErrorCode.MfaEnrollmentRequired, 'MFA is required for this principal: enroll and enable an MFA device, then sign in again.')
        : new DomainError(ErrorCode.PasswordResetRequired, 'You must change your password before doing anything else.');
    }

    const details = () => ({ route: req.routeOptions?.url, method: req.method });
    if (sec.rootOnly && auth.principal.kind !== 'Root') return this.gate.deny(auth, 'root-only task', '', clientInfoOf(req), details());
    const spec = sec.action;
    if (spec) {
      const resource = await spec.resource(req, auth, this.lookup);
      await this.gate.authorize(auth, spec.action, resource, clientInfoOf(req), details());
      return true;
    }
    if (sec.rootOnly || sec.authenticatedOnly) return true;
    return this.gate.deny(auth, 'undeclared route', '', clientInfoOf(req), details());
  }

  /**
   * A bearer token that authenticates nothing (unknown, expired, revoked console session or operator token)
   * is a failed authentication: audited on the platform chain (the token names no account), identical ones
   * counted on one record. SigV4 failures are recorded by the SigV4 authenticator, which knows the key.
   */
  private async auditRefusedToken(req: FastifyRequest, methods: AuthMethod[]): Promise<void> {
    const kind = credentialKind(req);
    if ((kind !== 'console-session' && kind !== 'operator-token') || !methods.includes(kind)) return;
    await this.failures.failed(
      {
        chain: PLATFORM_CHAIN,
        action: kind === 'operator-token' ? 'platform:AuthenticateOperator' : 'signin:AuthenticateSession',
        outcome: 'denied',
        errorCode: ErrorCode.MissingAuthenticationToken,
        client: clientInfoOf(req),
        details: { route: req.routeOptions?.url, method: req.method },
      },
      kind,
    );
  }

  /**
   * Runs the passport strategy for the credentials the request carries, if the route accepts that
   * method. The password strategy (sign-in) reads the body, so it runs whenever the route names it.
   *
   * The guard calls the strategy's `validate` itself instead of going through `passport.authenticate`:
   * every strategy here is a passport-custom strategy whose outcome is exactly `validate`'s (a context,
   * null for "not these credentials", or an error), and passport's per-request middleware (a strategy
   * object, success/fail/error closures and request decorations on every call) measured about 8 µs of
   * the roughly 140 µs a SigV4-authenticated request costs. The strategies stay registered with
   * passport under their method names.
   */
  private authenticate(methods: AuthMethod[], req: FastifyRequest): Promise<AuthContext | null> {
    const kind = methods.includes('password') ? 'password' : credentialKind(req);
    const strategy = kind && methods.includes(kind) ? this.strategies[kind] : undefined;
    return strategy ? strategy.validate(req) : Promise.resolve(null);
  }
}
