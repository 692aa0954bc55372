import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorEdge } from '../../common/errors/rest-exception.filter.js';
import { GRAPHQL_CODE_BY_ERROR } from './graphql-error-table.js';

/**
 * Errors on `/graphql` raised before GraphQL runs (malformed JSON, body limit, content type):
 * GraphQL's response format, `{ errors: [{ message, extensions: { code, awsCode } }] }`, with the
 * HTTP status of the one REST table (a 4xx for the client's mistakes), never a stack trace.
 */
@Catch()
export class GraphqlHttpEdge implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const { reply, res } = errorEdge(exception, host);
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const code = res.body.error.code;
    const gqlCode = GRAPHQL_CODE_BY_ERROR[code as keyof typeof GRAPHQL_CODE_BY_ERROR] ?? (res.status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR');
    void (reply as FastifyReply)
      .status(res.status)
      .headers(res.headers)
      .header('content-type', 'application/json; charset=utf-8')
      .send({ errors: [{ message: res.body.error.message, extensions: { code: gqlCode, awsCode: code, requestId: String(req.id) } }] });
  }
}
