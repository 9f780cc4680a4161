import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import pino, { Logger } from 'pino';

// Link tokens are capabilities and travel in paths; logs keep only the route's shape.
const CAPABILITY_PATHS = /^(\/s\/|\/api\/v1\/links\/)[^/?#]+/;

export function redactUrl(url: string): string {
  return url.split('?')[0].replace(CAPABILITY_PATHS, '$1[redacted]');
}

/**
 * JSON lines on stdout through an asynchronous destination, so a log line costs the request a
 * buffer append, not a write; the app flushes it as it closes.
 */
export function createLogger(level: string): { logger: Logger; flush: () => void } {
  const destination = pino.destination({ sync: false });
  return { logger: pino({ level }, destination), flush: () => destination.flushSync() };
}

/** One access log line per request (method, redacted path, status, time; never headers, bodies or query strings), from one hook. */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  if (!logger.isLevelEnabled('info')) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const entry = {
      req: { id: request.id, method: request.method, url: redactUrl(request.url) },
      res: { status },
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (status >= 500) logger.error(entry, 'request errored');
    else logger.info(entry, 'request completed');
    done();
  });
}

/** Nest's own messages (start-up, warnings, errors) as the same JSON lines. */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.logger.fatal({ context }, String(message));
  }
}
