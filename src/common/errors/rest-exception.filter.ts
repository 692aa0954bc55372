import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response.js';

/** The REST transport's error edge: `{ error: { code, message, requestId } }`. */
@Catch()
export class RestExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const res = toErrorResponse(exception, String(req.id));
    if (res.unexpected) this.logger.error((exception as Error)?.stack ?? String(exception));
    void reply.status(res.status).headers(res.headers).send(res.body);
  }
}
