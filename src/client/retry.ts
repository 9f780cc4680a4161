import { retryAfterSeconds } from '../common/http/retry-after';

/**
 * When a call that failed is made again, and after how long. Only failures that are passing are
 * retried (429 and 5xx gateways, a server that is busy or unreachable; never a 4xx that would fail
 * the same way again), and only where a second call cannot do twice what the first did: a call
 * that changes nothing, or carries an `Idempotency-Key` (`idempotent`), is retried on any of
 * them; any other (a reveal, an anonymous create) only where the API's own answer says nothing was
 * done (429, 503: a gateway's may come after it passed the request on) or the connection was
 * refused before the request was sent.
 */

/** The longest wait taken for a retry; a server asking for longer is not retried (its message says when). */
const MAX_RETRY_WAIT_MS = 30_000;
/** Without a Retry-After: 1 s, then 2 s, then 4 s… */
const FIRST_BACKOFF_MS = 1_000;

/** In the API's own words (not a gateway's), the request was turned away with nothing done. */
export const NOTHING_DONE = new Set([429, 503]);
const PASSING = new Set([429, 502, 503, 504]);

/**
 * After failed attempt `attempt` (0-based) answered `status`: the wait before the next, or null for
 * none. `fromApi`: the answer is the API's own error, not a gateway's.
 */
export function retryAfterAnswer(
  attempt: number,
  status: number,
  retryAfter: string | null,
  idempotent: boolean,
  fromApi: boolean,
): number | null {
  if (!(idempotent ? PASSING.has(status) : fromApi && NOTHING_DONE.has(status))) return null;
  const seconds = retryAfterSeconds(retryAfter);
  if (seconds === null) return backoff(attempt);
  return seconds * 1000 <= MAX_RETRY_WAIT_MS ? seconds * 1000 : null;
}

/** After failed attempt `attempt` got no answer (`code` is the connection's error): the wait before the next, or null. */
export function retryAfterNoAnswer(attempt: number, code: string | undefined, idempotent: boolean): number | null {
  return idempotent || code === 'ECONNREFUSED' ? backoff(attempt) : null;
}

const backoff = (attempt: number) => Math.min(FIRST_BACKOFF_MS * 2 ** attempt, MAX_RETRY_WAIT_MS);
