// A bare NestJS + Fastify app with one JSON route: the baseline the broker is compared to.
import { get, serveController } from './nest-app.mjs';

class BareController {
  bare() {
    return { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/bench', userId: 'AIDAEXAMPLEEXAMPLE123' };
  }
}
get(BareController, 'bare', 'bare');

await serveController(BareController, Number(process.env.PORT ?? 18091));
