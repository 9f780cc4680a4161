import { tracingChannel } from 'node:diagnostics_channel';
import pino, { Logger, LoggerOptions } from 'pino';
import { accessLineWriter } from '../src/common/logging/access-line';
import { logRequest } from '../src/common/logging/logger';

/** A logger whose lines are kept as written, stamped with a fixed time so two lines of it can be compared. */
function capturing(options: LoggerOptions = {}): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'info', timestamp: () => ',"time":1700000000000', ...options },
    { write: (line: string) => lines.push(line) },
  );
  return { logger, lines };
}

/** The line pino's own path writes for the same fields. */
function pinosLine(logger: Logger, lines: string[], level: 'info' | 'warn' | 'error', entry: object, msg: string): string {
  logger[level](entry, msg);
  return lines.pop()!;
}

describe('the hand-written access log line', () => {
  const odd = 'r"\\\n\t\u0001\u001f\u007f é€😀 \ud800 </script>';

  it.each([
    ['a plain request', { id: 'req-1', method: 'POST', path: '/api/v1/secrets', status: 201, ms: 1.234 }, 'info', 'request completed', 1.2],
    [
      'odd characters in every string',
      { id: odd, method: odd, path: `/api/v1/${odd}`, status: 404, ms: 0.04 },
      'info',
      'request completed',
      0,
    ],
    [
      'a 503',
      { id: 'x'.repeat(200), method: 'GET', path: '/api/v1/links/[redacted]', status: 503, ms: 12 },
      'warn',
      'request refused for now',
      12,
    ],
    ['a 500 without a time', { id: 'r', method: '-', path: '-', status: 500 }, 'error', 'request errored', undefined],
    [
      'a client gone',
      { id: 'r', method: 'POST', path: '/api/v1/links/[redacted]/reveal', status: 499, ms: 3.05 },
      'info',
      'request completed',
      3.1,
    ],
  ] as const)('is pino’s line, byte for byte, for %s', (_name, line, level, msg, responseTime) => {
    const { logger, lines } = capturing();
    expect(accessLineWriter(logger)).not.toBeNull();
    logRequest(logger, line);
    const written = lines.pop()!;
    const entry = { req: { id: line.id, method: line.method, url: line.path }, res: { status: line.status }, responseTime };
    expect(written).toBe(pinosLine(logger, lines, level, entry, msg));
    expect(JSON.parse(written)).toMatchObject({ req: { id: line.id, method: line.method, url: line.path } });
  });

  it('carries a child logger’s bindings as pino does', () => {
    const { logger, lines } = capturing();
    const child = logger.child({ component: 'http "edge"' });
    logRequest(child, { id: 'r', method: 'POST', path: '/api/v1/secrets', status: 201, ms: 2 });
    const written = lines.pop()!;
    const entry = { req: { id: 'r', method: 'POST', url: '/api/v1/secrets' }, res: { status: 201 }, responseTime: 2 };
    expect(written).toBe(pinosLine(child, lines, 'info', entry, 'request completed'));
  });

  it('calls a timestamp function with its logger, as pino does', () => {
    const { logger, lines } = capturing({
      // pino calls it once bare, as it is built.
      timestamp(this: Logger | undefined) {
        return `,"time":"${String(this?.bindings().region)}"`;
      },
    });
    const child = logger.child({ region: 'eu' });
    logRequest(child, { id: 'r', method: 'POST', path: '/api/v1/secrets', status: 201, ms: 2 });
    const written = lines.pop()!;
    const entry = { req: { id: 'r', method: 'POST', url: '/api/v1/secrets' }, res: { status: 201 }, responseTime: 2 };
    expect(written).toBe(pinosLine(child, lines, 'info', entry, 'request completed'));
    expect(JSON.parse(written)).toMatchObject({ time: 'eu' });
  });

  it('is left to pino while something traces the building of pino’s lines (a tracing agent)', () => {
    const { logger, lines } = capturing();
    const traced: unknown[] = [];
    const ignore = () => undefined;
    const subscriber = {
      start: (message: object) => void traced.push(message),
      end: ignore,
      asyncStart: ignore,
      asyncEnd: ignore,
      error: ignore,
    };
    const channel = tracingChannel('pino_asJson');
    channel.subscribe(subscriber);
    try {
      logRequest(logger, { id: 'r', method: 'POST', path: '/api/v1/secrets', status: 201, ms: 2 });
    } finally {
      channel.unsubscribe(subscriber);
    }
    expect(traced).toHaveLength(1);
    expect(JSON.parse(lines.pop()!)).toMatchObject({ req: { id: 'r' }, msg: 'request completed' });
    expect(accessLineWriter(logger)).not.toBeNull();
  });

  it.each([
    ['a mixin', { mixin: () => ({ region: 'eu' }) }, { region: 'eu' }],
    ['a redacted field', { redact: ['req.method'] }, { req: { method: '[Redacted]' } }],
    ['a serializer of req', { serializers: { req: (req: { id: string }) => ({ tag: req.id }) } }, { req: { tag: 'r' } }],
    ['another message key', { messageKey: 'message' }, { message: 'request completed' }],
    ['a log formatter', { formatters: { log: (object: object) => ({ ...object, shaped: true }) } }, { shaped: true }],
  ] as const)('is left to pino for a logger with %s', (_name, options, expected) => {
    const { logger, lines } = capturing(options as LoggerOptions);
    expect(accessLineWriter(logger)).toBeNull();
    logRequest(logger, { id: 'r', method: 'POST', path: '/api/v1/secrets', status: 201, ms: 2 });
    expect(JSON.parse(lines.pop()!)).toMatchObject(expected);
  });
});
