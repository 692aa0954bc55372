import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { errorEdge } from '../../common/errors/rest-exception.filter.js';

/**
 * The container-credentials endpoint's error edge: `{"Code","Message"}`, the
 * shape the AWS SDKs' container and HTTP credential providers read, with the
 * status from the REST table (HTTP_STATUS_BY_CODE). Messages never carry the token.
 */
@Catch()
export class ContainerErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const { reply, res } = errorEdge(exception, host);
    void reply
      .status(res.status)
      .headers(res.headers)
      .header('cache-control', 'no-store')
      .send({ Code: res.body.error.code, Message: res.body.error.message });
  }
}
