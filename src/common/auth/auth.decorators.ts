import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthContext, AuthMethod, ClientInfo } from './auth-context.js';
import type { ResourceResolver } from './resource.js';

export const PUBLIC_KEY = 'cb:public';
export const METHODS_KEY = 'cb:methods';
export const ACTION_KEY = 'cb:action';
export const AUTHENTICATED_ONLY_KEY = 'cb:authenticated-only';
export const ENROLL_OK_KEY = 'cb:enroll-ok';
export const ROOT_ONLY_KEY = 'cb:root-only';

/** Methods accepted when a route does not say otherwise. */
export const DEFAULT_METHODS: AuthMethod[] = ['console-session', 'sigv4'];

export interface ActionSpec {
  action: string;
  resource: ResourceResolver;
}

/** No authentication at all (sign-in, health, password reset). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Which authentication methods this route accepts. */
export const AuthMethods = (...methods: AuthMethod[]) => SetMetadata(METHODS_KEY, methods);

/** Platform operators only (account management). */
export const OperatorOnly = () => applyDecorators(AuthMethods('operator-token'), SetMetadata(AUTHENTICATED_ONLY_KEY, true));

/** The IAM action this route performs and the ARN it acts on; the guard evaluates it. */
export const Authorize = (action: string, resource: ResourceResolver) => SetMetadata(ACTION_KEY, { action, resource } satisfies ActionSpec);

/** Any authenticated principal, no action to authorize (caller identity, sign-out). */
export const AuthenticatedOnly = () => SetMetadata(AUTHENTICATED_ONLY_KEY, true);

/** Still allowed for a restricted session (see AuthContext.restriction). */
export const AllowRestricted = (...restrictions: NonNullable<AuthContext['restriction']>[]) => SetMetadata(ENROLL_OK_KEY, restrictions);

/** Root-only tasks (account name, email, root MFA): no IAM policy grants them. */
export const RootOnly = () => SetMetadata(ROOT_ONLY_KEY, true);

type AuthedRequest = FastifyRequest & { auth?: AuthContext };

export const CurrentAuth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  const auth = ctx.switchToHttp().getRequest<AuthedRequest>().auth;
  if (!auth) throw new Error('CurrentAuth used on a route without authentication');
  return auth;
});

export function clientInfoOf(req: FastifyRequest): ClientInfo {
  const ua = req.headers['user-agent'];
  return { requestId: String(req.id), sourceIp: req.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : undefined };
}

export const Client = createParamDecorator((_: unknown, ctx: ExecutionContext): ClientInfo =>
  clientInfoOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
