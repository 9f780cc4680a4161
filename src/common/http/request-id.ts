import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

const ids = new WeakMap<IncomingMessage, string>();

/**
 * Keeps a caller's own X-Request-Id when it is harmless, else makes one: once per request, so
 * a line written outside the route that took it (its 408, say) shows the id its answer has.
 */
export function requestId(raw: IncomingMessage): string {
  let id = ids.get(raw);
  if (id === undefined) {
    const given = raw.headers['x-request-id'];
    id = typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
    ids.set(raw, id);
  }
  return id;
}
