import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { AuthenticatedOnly, AuthMethods, clientInfoOf } from '../../common/auth/auth.decorators.js';
import type { GraphLoaders } from './graph-loaders.js';

/** The per-request GraphQL context: the Fastify request (the guard puts `auth` on it) and the loaders. */
export interface GraphContext {
  req: FastifyRequest & { auth?: AuthContext };
  reply: FastifyReply;
  loaders?: GraphLoaders;
}

export function authOf(ctx: GraphContext): AuthContext {
  const auth = ctx.req.auth;
  if (!auth) throw new Error('GraphQL resolver reached without authentication');
  return auth;
}

const clients = new WeakMap<object, ClientInfo>();

/**
 * The request's ClientInfo: one object per HTTP request, so that GraphAccess can remember, for the
 * rest of the request, the access checks it already made (see GraphAccess.require).
 */
export function clientOf(ctx: GraphContext): ClientInfo {
  let client = clients.get(ctx.req);
  if (!client) {
    client = clientInfoOf(ctx.req);
    clients.set(ctx.req, client);
  }
  return client;
}

/** The caller's AuthContext in a resolver (set by the global guard). */
export const GqlAuth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => authOf(GqlExecutionContext.create(ctx).getContext<GraphContext>()));

/** Request id, source address and user agent in a resolver. */
export const GqlClient = createParamDecorator((_: unknown, ctx: ExecutionContext): ClientInfo => clientOf(GqlExecutionContext.create(ctx).getContext<GraphContext>()));

/**
 * Every GraphQL query: console sessions, SigV4 and operator tokens; the
 * resolver (GraphAccess) decides per account and action, as REST routes do.
 */
export const GraphRead = () => applyDecorators(AuthMethods('console-session', 'sigv4', 'operator-token'), AuthenticatedOnly());
