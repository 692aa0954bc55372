import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './domain-error.js';
import { toErrorResponse } from './error-response.js';

/**
 * The REST transport's error edge: `{ error: { code, message, requestId } }`.
 * Logs through the request's own logger, so the lines carry the request id.
 */
@Catch()
export class RestExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const res = toErrorResponse(exception, String(req.id));
    if (res.unexpected) req.log.error({ err: exception }, 'unexpected error');
    else if (exception instanceof DomainError && exception.diagnostic) req.log.warn({ code: exception.code }, exception.diagnostic);
    void reply.status(res.status).headers(res.headers).send(res.body);
  }
}
