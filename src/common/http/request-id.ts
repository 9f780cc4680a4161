import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Keeps a caller's own X-Request-Id when it is harmless, else makes one. Stored on the raw
 * request too, so the pino-http logger (which sees only the raw request) logs the same id.
 */
export function requestId(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  const id = typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
  raw.id = id;
  return id;
}
