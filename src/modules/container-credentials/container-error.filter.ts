import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors/domain-error.js';
import { toErrorResponse } from '../../common/errors/error-response.js';

/**
 * The container-credentials endpoint's error edge: `{"Code","Message"}`, the
 * shape the AWS SDKs' container and HTTP credential providers read, with the
 * status from the REST table (HTTP_STATUS_BY_CODE). Messages never carry the token.
 */
@Catch()
export class ContainerErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const res = toErrorResponse(exception, String(req.id));
    if (res.unexpected) req.log.error({ err: exception }, 'unexpected error');
    else if (exception instanceof DomainError && exception.diagnostic) req.log.warn({ code: exception.code }, exception.diagnostic);
    void reply
      .status(res.status)
      .headers(res.headers)
      .header('cache-control', 'no-store')
      .send({ Code: res.body.error.code, Message: res.body.error.message });
  }
}
