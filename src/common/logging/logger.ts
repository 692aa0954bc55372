import type { LoggerService } from '@nestjs/common';
import type { FastifyBaseLogger } from 'fastify';
import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths that may carry secrets. Code must not log them in the first place;
 * this is the second line of defence.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-amz-security-token"]',
  'req.headers["x-amz-signature"]',
  'req.headers.cookie',
  'password',
  'newPassword',
  'oldPassword',
  'secretAccessKey',
  'SecretAccessKey',
  'sessionToken',
  'SessionToken',
  'token',
  'mfaCode',
  '*.password',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.token',
  // A database error may carry its statement's bound values (PGlite's `query` attaches them):
  // none is a plaintext secret today (secrets are stored hashed or sealed), but they stay out of logs.
  // (pino's err serializer folds a cause into the message and stack only, never its properties.)
  'err.params',
];

/** Query parameters that carry secrets in presigned URLs or tokens. */
const SECRET_QUERY = /([?&](?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|token)=)[^&]*/gi;

/** On the AWS Query endpoint (`/`) any parameter may be a secret (Password, TokenCode, WebIdentityToken…): only these stay readable. */
const QUERY_ENDPOINT_VISIBLE = new Set(['action', 'version']);

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q !== -1 && url.slice(0, q) === '/') {
    const params = url
      .slice(q + 1)
      .split('&')
      .map((p) => {
        const eq = p.indexOf('=');
        return eq === -1 || QUERY_ENDPOINT_VISIBLE.has(p.slice(0, eq).toLowerCase()) ? p : `${p.slice(0, eq)}=[REDACTED]`;
      });
    return `/?${params.join('&')}`;
  }
  return url.replace(SECRET_QUERY, '$1[REDACTED]');
}

function fastifyReqId(logger: Logger): string | undefined {
  const id = (logger.bindings() as { reqId?: unknown }).reqId;
  return typeof id === 'string' ? id : undefined;
}

/** A JSON logger; `destination` (default stdout) lets tests capture the lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'credbroker' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    // Lines written while serving a request carry its id: Fastify's request logger has it as
    // reqId; code outside that logger passes { requestId } itself. (No AsyncLocalStorage: on
    // Node 20 its promise hooks cost about a third of a simple route's throughput.)
    mixin(_obj, _level, logger) {
      const requestId = fastifyReqId(logger);
      return requestId ? { requestId } : {};
    },
    serializers: {
      req: (req: { method?: string; url?: string; ip?: string; headers?: Record<string, string> }) => ({
        method: req.method,
        url: req.url ? redactUrl(req.url) : undefined,
        ip: req.ip,
        userAgent: req.headers?.['user-agent'],
      }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify's per-request logger, with the request id bound only when something is logged. Binding it
 * up front (a pino child: its bindings serialised and run through redaction) cost about 2 µs on every
 * request, and at the production level most requests log nothing. What is logged is the same: the
 * first line materialises the same child Fastify would have made.
 */
class LazyRequestLogger {
  private bound: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly own: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private logger(): Logger {
    return (this.bound ??= this.parent.child(this.own, this.options));
  }

  private write(level: LogLevel, args: unknown[]): void {
    if (!(this.bound ?? this.parent).isLevelEnabled(level)) return;
    (this.logger()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return (this.bound ?? this.parent).level;
  }
  set level(level: string) {
    this.logger().level = level;
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger().child(bindings, options);
  }
  bindings(): Bindings {
    return this.bound ? this.bound.bindings() : { ...this.parent.bindings(), ...this.own };
  }
  isLevelEnabled(level: string): boolean {
    return (this.bound ?? this.parent).isLevelEnabled(level);
  }
}

/** Fastify's `childLoggerFactory`: the request logger, bound lazily (a route-level log level binds at once). */
export function requestLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  const parent = logger as Logger;
  if (options.level !== undefined) return parent.child(bindings, options);
  return new LazyRequestLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}

/** Nest's logger writes through pino, so every line is JSON with the request id. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  /** Nest passes strings; our own callers may pass { msg, requestId, … } to add fields. */
  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, fields: Record<string, unknown>) {
    if (message && typeof message === 'object' && !(message instanceof Error)) {
      const { msg, ...rest } = message as Record<string, unknown>;
      this.logger[level]({ ...fields, ...rest }, String(msg ?? ''));
    } else {
      this.logger[level](fields, String(message));
    }
  }

  log(message: unknown, context?: string) {
    this.write('info', message, { context });
  }
  error(message: unknown, trace?: string, context?: string) {
    this.write('error', message, { context, trace });
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, { context });
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, { context });
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, { context });
  }
}
