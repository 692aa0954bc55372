import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { type DynamicModule, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/app-config.js';
import type { GraphContext } from './graph-context.js';
import { toGraphqlError } from './graphql-error-table.js';
import { complexityPlugin, GRAPHQL_LIMITS, limitRules } from './graphql-hardening.js';

export const GRAPHQL_PATH = '/graphql';

/** Logs what the client sees as INTERNAL_SERVER_ERROR, in full, once, with the request id. */
const errorLogPlugin: ApolloServerPlugin<GraphContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors(rc) {
        for (const err of rc.errors) {
          if (toGraphqlError(err, err).unexpected) rc.contextValue.req?.log.error({ err: err.originalError ?? err }, 'unexpected GraphQL error');
        }
      },
    };
  },
};

function tooLarge(reply: FastifyReply, status: number, message: string): void {
  void reply.status(status).header('content-type', 'application/json; charset=utf-8').send({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
}

/**
 * GET /graphql (queries only) and POST /graphql, code first, on Apollo Server 5
 * through @nestjs/apollo's Fastify integration. Resolvers live with the
 * identity module (graphql.wiring.ts): they use its services.
 */
@Module({})
export class GraphqlApiModule implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  static forRoot(config: AppConfig): DynamicModule {
    const production = config.env === 'production';
    return {
      module: GraphqlApiModule,
      imports: [
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: GRAPHQL_PATH,
          autoSchemaFile: true,
          sortSchema: true,
          // The IDE and introspection are for development only.
          graphiql: !production,
          introspection: !production,
          includeStacktraceInErrorResponses: false,
          // One operation per request; Apollo's CSRF prevention stays on (GET needs a preflight header and never runs a mutation).
          allowBatchedHttpRequests: false,
          csrfPrevention: true,
          persistedQueries: false,
          nodeEnv: config.env,
          parseOptions: { maxTokens: GRAPHQL_LIMITS.maxTokens },
          validationRules: limitRules(),
          plugins: [complexityPlugin(), errorLogPlugin],
          autoTransformHttpErrors: false,
          formatError: (formatted, error) => {
            const { unexpected: _u, ...shown } = toGraphqlError(formatted, error);
            return shown;
          },
          context: (req: FastifyRequest, reply: FastifyReply): GraphContext => ({ req, reply }),
        }),
      ],
    };
  }

  /** Request size limits before Apollo reads anything. */
  onModuleInit(): void {
    // No HTTP server in a CLI application context: nothing to guard.
    const adapter = this.adapterHost.httpAdapter as typeof this.adapterHost.httpAdapter | undefined;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (req, reply, done) => {
      const url = req.raw.url ?? '';
      if (url !== GRAPHQL_PATH && !url.startsWith(`${GRAPHQL_PATH}?`)) return done();
      if (url.length > GRAPHQL_LIMITS.maxUrlBytes) return tooLarge(reply, 414, `The request URL is longer than ${GRAPHQL_LIMITS.maxUrlBytes} bytes; send the query with POST.`);
      const len = Number(req.headers['content-length'] ?? 0);
      if (len > GRAPHQL_LIMITS.maxBodyBytes) return tooLarge(reply, 413, `The request body is larger than ${GRAPHQL_LIMITS.maxBodyBytes} bytes.`);
      done();
    });
  }
}
