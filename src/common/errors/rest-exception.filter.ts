import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './domain-error.js';
import { toErrorResponse, type ErrorResponse } from './error-response.js';

/**
 * What every transport's error edge does first: map the error (one table,
 * toErrorResponse) and log it through the request's own logger, so the lines
 * carry the request id — in full when unexpected, the server-side diagnostic
 * when there is one. The transport then only chooses the body's shape.
 */
export function errorEdge(exception: unknown, host: ArgumentsHost): { reply: FastifyReply; res: ErrorResponse } {
  const http = host.switchToHttp();
  const req = http.getRequest<FastifyRequest>();
  const res = toErrorResponse(exception, String(req.id));
  if (res.unexpected) req.log.error({ err: exception }, 'unexpected error');
  else if (exception instanceof DomainError && exception.diagnostic) req.log.warn({ code: exception.code }, exception.diagnostic);
  return { reply: http.getResponse<FastifyReply>(), res };
}

/** The REST transport's error edge: `{ error: { code, message, requestId } }`. */
@Catch()
export class RestExceptionFilter implements ExceptionFilter {
  /** Other transports' edges by route (errors raised before a handler runs reach only the global filter). */
  constructor(private readonly routeEdges: ReadonlyMap<string, ExceptionFilter> = new Map()) {}

  catch(exception: unknown, host: ArgumentsHost): unknown {
    // GraphQL resolvers: hand the error back to GraphQL, whose edge (modules/graphql/graphql-error-table.ts) maps and logs it.
    if (host.getType<string>() === 'graphql') return exception;
    const route = host.switchToHttp().getRequest<FastifyRequest>().routeOptions?.url;
    const edge = route === undefined ? undefined : this.routeEdges.get(route);
    if (edge) return void edge.catch(exception, host);
    const { reply, res } = errorEdge(exception, host);
    void reply.status(res.status).headers(res.headers).send(res.body);
  }
}
