import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentRequestId } from './request-context.js';

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
];

/** Query parameters that carry secrets in presigned URLs or tokens. */
const SECRET_QUERY = /([?&](?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|token)=)[^&]*/gi;

export function redactUrl(url: string): string {
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
    // Lines written while serving a request carry its id: from the request context, or, for the
    // lines Fastify writes before its hooks run ("incoming request"), from its request logger.
    mixin(_obj, _level, logger) {
      const requestId = currentRequestId() ?? fastifyReqId(logger);
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

/** Nest's logger writes through pino, so every line is JSON with the request id. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
