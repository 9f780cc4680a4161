import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../../config/app-config';

// Link tokens are capabilities and travel in paths; logs keep only the route's shape.
const CAPABILITY_PATHS = /^(\/s\/|\/api\/v1\/links\/)[^/?#]+/;

export function redactUrl(url: string): string {
  return url.split('?')[0].replace(CAPABILITY_PATHS, '$1[redacted]');
}

/** Structured JSON logs: method, redacted path, status, time; never headers, bodies or query strings. */
export function loggerModule(config: AppConfig) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    },
  });
}
