import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type ExceptionFilter, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { DomainError } from './common/errors/domain-error.js';
import { ErrorCode } from './common/errors/error-codes.js';
import { toErrorResponse } from './common/errors/error-response.js';
import { RestExceptionFilter } from './common/errors/rest-exception.filter.js';
import { createLogger, PinoNestLogger, requestLoggerFactory } from './common/logging/logger.js';
import { MIGRATIONS_DIR } from './common/paths.js';
import { MAX_BODY_DEPTH, nestedDeeperThan, VALIDATION_OPTIONS, validationErrorOf } from './common/validation/validate-dto.js';
import { describeConfig, type AppConfig } from './config/app-config.js';
import { Migrator, MigrationError } from './db/migrator.js';
import { openSqlDriver, type SqlDriver } from './db/sql-driver.js';
import { AWS_QUERY_ROUTES, AwsQueryExceptionFilter } from './modules/aws-query/aws-query-exception.filter.js';
import { GRAPHQL_PATH } from './modules/graphql/graphql-api.module.js';
import { GraphqlHttpEdge } from './modules/graphql/graphql-http-edge.filter.js';
import { MetricsService } from './modules/metrics/metrics.service.js';

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{8,64}$/;
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface CreateAppOptions {
  /** Reuse an open driver (tests share one PGlite per file). */
  driver?: SqlDriver;
  logger?: Logger;
}

/** Opens the database, applies migrations (or checks them) and builds the Nest application. */
export async function createApp(config: AppConfig, opts: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const driver = opts.driver ?? (await openSqlDriver(config.database));
  try {
    const migrator = new Migrator(driver, MIGRATIONS_DIR);
    if (config.autoMigrate) {
      const applied = await migrator.migrate((m) => logger.info(m));
      if (applied.length) logger.info({ applied }, 'migrations applied');
    } else {
      const s = await migrator.status();
      if (s.pending.length) throw new MigrationError(`pending migrations (${s.pending.join(', ')}); run \`credbroker migrate\` or set AUTO_MIGRATE=true`);
    }
  } catch (e) {
    if (!opts.driver) await driver.close();
    throw e;
  }
  if (config.masterKeyGeneratedAt) {
    logger.warn(`generated a master key for secrets at rest in ${config.masterKeyGeneratedAt}; back it up, and set MASTER_KEY in production`);
  }

  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    childLoggerFactory: requestLoggerFactory,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    // Errors Fastify raises before any hook runs (a malformed URL): same format, same request id header.
    frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) => {
      const res = toErrorResponse(err, String(req.id));
      void reply.header('x-request-id', String(req.id)).status(res.status).headers(res.headers).send(res.body);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, driver), adapter, {
    logger: new PinoNestLogger(logger),
    rawBody: true,
    abortOnError: false,
  });

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  // Presigned-URL auth parameters belong to the SigV4 verifier (which reads the raw URL),
  // not to the route's query DTO, which refuses unknown fields.
  fastify.addHook('preHandler', (req, _reply, done) => {
    const q = req.query as Record<string, unknown> | undefined;
    if (q && typeof q === 'object') for (const k of Object.keys(q)) if (/^x-amz-/i.test(k)) delete q[k];
    done();
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.observeHttp(route, req.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // The REST API takes JSON objects only. Fastify (text/plain) and Nest (form-urlencoded) parse
  // other bodies too, and the validation pipe reads a JSON null as {}: refuse those here.
  fastify.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined || !req.routeOptions?.url?.startsWith('/v1/')) return done();
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return done(new DomainError(ErrorCode.UnsupportedMediaType, 'Unsupported content type; send application/json.'));
    if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) return done(DomainError.validation('The request body must be a JSON object.'));
    if (nestedDeeperThan(req.body, MAX_BODY_DEPTH)) return done(DomainError.validation(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`));
    done();
  });
  app.useGlobalPipes(
    new ValidationPipe({ ...VALIDATION_OPTIONS, transform: true, exceptionFactory: (errors) => validationErrorOf(errors) }),
  );
  // AWS Query (POST /): the form body stays bytes (the SigV4 payload hash needs them, and the
  // transport parses strictly: duplicates, bad escapes and non-UTF-8 are errors). Its errors are
  // XML, also those Fastify raises before the handler (body limit, content type).
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
  const queryEdge = new AwsQueryExceptionFilter();
  // GraphQL: errors raised before Apollo runs (malformed JSON, body limit) in GraphQL's format.
  const edges = new Map<string, ExceptionFilter>([...AWS_QUERY_ROUTES.map((route) => [route, queryEdge] as const), [GRAPHQL_PATH, new GraphqlHttpEdge()]]);
  app.useGlobalFilters(new RestExceptionFilter(edges));
  app.enableShutdownHooks();

  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('credbroker')
      .setDescription('Multi-tenant credential broker implementing the AWS credential model')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/openapi.json' });

  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    if (!opts.driver) await driver.close();
  };
  logger.info(describeConfig(config), 'credbroker configured');
  return app;
}
