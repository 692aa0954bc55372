import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationRule } from 'graphql';

type GraphContextBase = object;
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

/** Limits of one GraphQL request (see docs/architecture.md, GraphQL). */
export const GRAPHQL_LIMITS = {
  /** Nesting of selections (introspection's own depth does not count). */
  maxDepth: 8,
  /** Aliases in one operation (an alias multiplies work: `a1: auditEvents … a30: auditEvents`). */
  maxAliases: 30,
  /** Cost: one per field, lists and pages multiply their items' cost by their size (`first`, or 10/100). */
  maxComplexity: 20_000,
  /** Tokens in one document (graphql-js stops parsing past it). */
  maxTokens: 5_000,
  /** Bytes of a POST body or of a GET URL. */
  maxBodyBytes: 64 * 1024,
  maxUrlBytes: 8 * 1024,
} as const;

/** graphql-armor throws by default (Apollo would answer 500); report the refusal as a validation error instead. */
const reportNotThrow = {
  propagateOnRejection: false,
  onReject: [(ctx: { reportError(e: unknown): void } | null, err: unknown) => ctx?.reportError(err)],
};

/** Validation rules run on every operation before it executes: a refused one is a 400 with GRAPHQL_VALIDATION_FAILED. */
export function limitRules(): ValidationRule[] {
  return [
    maxDepthRule({ n: GRAPHQL_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true, exposeLimits: true, ...reportNotThrow }) as unknown as ValidationRule,
    maxAliasesRule({ n: GRAPHQL_LIMITS.maxAliases, exposeLimits: true, ...reportNotThrow }) as unknown as ValidationRule,
  ];
}

/**
 * Cost limit (graphql-query-complexity), computed once the operation and its
 * variables are known (a page size given as a variable counts). Fields declare
 * their cost through Nest's `complexity` option; the rest cost 1.
 */
export function complexityPlugin(): ApolloServerPlugin<GraphContextBase> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc: GraphQLRequestContext<GraphContextBase>) {
          if (!rc.document) return;
          let complexity: number;
          try {
            complexity = getComplexity({
              schema: rc.schema,
              operationName: rc.request.operationName ?? undefined,
              query: rc.document,
              variables: rc.request.variables ?? {},
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (e) {
            // Variables that do not fit their types (the cost needs their values): the client's mistake.
            throw new GraphQLError(`Variable values are invalid: ${(e as Error).message}`, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
          }
          if (complexity > GRAPHQL_LIMITS.maxComplexity) {
            throw new GraphQLError(`The query is too complex: cost ${complexity}, at most ${GRAPHQL_LIMITS.maxComplexity}. Ask for fewer items or fields.`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
