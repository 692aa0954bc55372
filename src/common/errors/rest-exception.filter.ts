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
  catch(exception: unknown, host: ArgumentsHost): void {
    const { reply, res } = errorEdge(exception, host);
    void reply.status(res.status).headers(res.headers).send(res.body);
  }
}
