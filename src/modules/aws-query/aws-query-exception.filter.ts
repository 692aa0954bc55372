import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderQueryError, serviceHint } from './aws-query.dispatcher.js';

/** The routes of the AWS Query transport (their errors are XML, even those raised before the handler). */
export const AWS_QUERY_ROUTES: readonly string[] = ['/'];

/**
 * The AWS Query transport's error edge: AWS's `<ErrorResponse>` XML, through the transport's one
 * table. The dispatcher renders its own errors; this catches what happens outside it (body limit,
 * content-type parsing, the guard) — bound on the controller and used by the global filter for
 * errors Fastify raises before the route's handler.
 */
@Catch()
export class AwsQueryExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const r = renderQueryError(exception, serviceHint(req), req);
    void http.getResponse<FastifyReply>().header('x-request-id', String(req.id)).status(r.status).headers(r.headers).send(r.body);
  }
}
