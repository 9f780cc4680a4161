import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import pino, { Logger } from 'pino';
import { CLIENT_GONE_STATUS } from '../errors/api-error';
import { AccessLine, accessLineWriter } from './access-line';

// Link tokens are capabilities and travel in paths; logs keep only the route's shape. In a path
// no route took, everything after an `s` or `links` segment (however the path around it is
// spelled: `//s/`, `/API/v1//links/`) is redacted, as is everything from a segment holding a `#`
// (a link whose `#` became `%23`, or `%2523`: its key follows, and a standard-base64 key holds `/`s), and any
// segment holding what could be a token: a run of 16 or more base64url characters, not all of
// them lower-case letters and hyphens as a route's name is, wherever it sits in the segment
// (`<token>.`, `%41<rest of it>`).
const CAPABILITY_SEGMENT = /^(s|links)$/i;
const BASE64URL_RUN = /[A-Za-z0-9_-]{16,}/g;
const NOT_A_NAME = /[A-Z0-9_]/;
const HASH_SIGN = /#|%23/i;

const holdsToken = (segment: string) => (segment.match(BASE64URL_RUN) ?? []).some((run) => NOT_A_NAME.test(run));

/** Each segment decoded on its own, so one that cannot be (`%zz`) leaves the others readable. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The path a log line shows. A routed request shows its route pattern with the link token
 * redacted (the pattern, never the raw URL: `/api/v1/%6Cinks/…` is the links route too); an
 * unrouted one its decoded path, with anything in a link's place redacted. Never a query string.
 */
function loggedPath(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  return route ? route.replace(':token', '[redacted]') : unroutedPath(request.url);
}

/** The path of a request no route took, as a log may show it. */
export function unroutedPath(url: string): string {
  const segments = url.split('?')[0].split('/').map(decoded);
  const shown: string[] = [];
  for (const [at, segment] of segments.entries()) {
    if (HASH_SIGN.test(segment)) return [...shown, '[redacted]'].join('/');
    shown.push(holdsToken(segment) ? '[redacted]' : segment);
    if (CAPABILITY_SEGMENT.test(segment) && segments.slice(at + 1).some(Boolean)) return [...shown, '[redacted]'].join('/');
  }
  return shown.join('/');
}

/**
 * JSON lines on stdout through an asynchronous destination, so a log line costs the request a
 * buffer append, not a write: lines go out 4 KiB at a time, or after at most a second, and the
 * app flushes what is left as it closes.
 */
export function createLogger(level: string): { logger: Logger; flush: () => void } {
  const destination = pino.destination({ sync: false, minLength: 4096, periodicFlush: 1000 });
  return { logger: pino({ level }, destination), flush: () => destination.flushSync() };
}

/**
 * One access log line per request Fastify routes (method, redacted path, status, time; never
 * headers, bodies or query strings), when its response closes: Fastify's onResponse waits for an
 * answer written in full, and its onRequestAbort hears only a hang-up mid-body, so neither would
 * log a client that left after its body arrived, before its answer was written (a 499 here).
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const res = reply.raw;
    const started = performance.now();
    res.once('close', () => {
      // A body that never arrived has its line elsewhere: renderError's debug line for a hang-up;
      // and a stalled one, answered outside Fastify, body-timeout's 408.
      if (!request.raw.complete && (!res.headersSent || res.statusCode === 408)) return;
      logRequest(logger, {
        id: request.id,
        method: request.method,
        path: loggedPath(request),
        status: res.headersSent ? res.statusCode : CLIENT_GONE_STATUS,
        ms: performance.now() - started,
      });
    });
    done();
  });
}

/** The access log line of one request; `path` is already what a log may show, and `ms` is absent when it began is unknown. */
export function logRequest(logger: Logger, line: AccessLine & { ms?: number }): void {
  // Access logs are info lines: below that level there are none, not even for 5xx answers.
  if (!logger.isLevelEnabled('info')) return;
  const responseTime = line.ms === undefined ? undefined : Math.round(line.ms * 10) / 10;
  // A 503 is a refusal the service chose (busy, a key or a database unavailable: it says when to
  // come back), not a fault: a warning, so alerts on errors are not woken by load.
  const [level, msg] = line.status === 503 ? LOG_WARN : line.status >= 500 ? LOG_ERROR : LOG_INFO;
  const write = accessLineWriter(logger);
  if (write) return write(logger.levels.values[level], line, responseTime, msg);
  const entry: { req: object; res: object; responseTime?: number } = {
    req: { id: line.id, method: line.method, url: line.path },
    res: { status: line.status },
  };
  if (responseTime !== undefined) entry.responseTime = responseTime;
  logger[level](entry, msg);
}

const LOG_INFO = ['info', 'request completed'] as const;
const LOG_WARN = ['warn', 'request refused for now'] as const;
const LOG_ERROR = ['error', 'request errored'] as const;

/**
 * A message whose JSON line carries fields besides it: `req.id`, say, which ties it to its
 * request's access log line. Nest's Logger passes it through; it prints as its text elsewhere.
 */
export class LogLine {
  constructor(
    readonly msg: string,
    readonly fields: Record<string, unknown>,
  ) {}

  toString(): string {
    return this.msg;
  }
}

/** A line about one request, under the id its access log line shows as `req.id`. */
export const aboutRequest = (requestId: string, msg: string) => new LogLine(msg, { req: { id: requestId } });

const fieldsOf = (message: unknown) => (message instanceof LogLine ? message.fields : {});

/** Nest's own messages (start-up, warnings, errors) as the same JSON lines. */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context, ...fieldsOf(message) }, String(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    // With abortOnError off (bootstrap.ts) Nest's ExceptionHandler logs a failed start it then
    // rethrows to main.ts, which reports it: in one line, or as a bug's stack trace.
    if (context === 'ExceptionHandler' || trace === 'ExceptionHandler') return;
    this.logger.error({ context, trace, ...fieldsOf(message) }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.logger.warn({ context, ...fieldsOf(message) }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.logger.debug({ context, ...fieldsOf(message) }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context, ...fieldsOf(message) }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.logger.fatal({ context, ...fieldsOf(message) }, String(message));
  }
}
