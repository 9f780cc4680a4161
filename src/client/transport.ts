import { OncelinkError } from './oncelink-error';
import { ProxyFailed } from './proxy-failed';
import { UploadFailed } from './upload';

/**
 * Gives up on a request when the server keeps it waiting for `ms`: for its answer, for taking the
 * next piece of an upload, or for the next piece of a download. Time the caller spends (a slow
 * reader of the output, a passcode prompt) does not count.
 */
export class Patience {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  ranOut = false;
  /** An upload's body is still being handed over: the server cannot have acted on a request it has not had whole. */
  sendingBody = false;

  constructor(readonly ms: number) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts (or restarts) the wait. */
  wait(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ranOut = true;
      this.controller.abort();
    }, this.ms);
  }

  done(): void {
    clearTimeout(this.timer);
  }

  /**
   * An upload's pieces: the wait runs while the server takes each one, and for its answer after
   * the last, never while the next is read from the source (a producer such as pg_dump may pause).
   */
  async *sending(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    this.done();
    this.sendingBody = true;
    for await (const chunk of chunks) {
      this.wait();
      yield chunk;
      this.done();
    }
    this.sendingBody = false;
    this.wait();
  }

  /** A download's pieces: the wait runs only while the next one is awaited from the server. */
  async *receiving(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const iterator = chunks[Symbol.asyncIterator]();
    try {
      for (;;) {
        this.wait();
        const next = await iterator.next().catch((error: unknown) => {
          throw this.ranOut ? this.timeout() : error;
        });
        this.done();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      this.done();
      await iterator.return?.();
    }
  }

  timeout(): OncelinkError {
    return new OncelinkError(0, `The server did not answer within ${this.ms / 1000} s (ONCELINK_TIMEOUT).`);
  }
}

/**
 * Why a request got no answer, in words: only its origin and an error code are named, never an
 * error's own message, which can carry the URL's credentials or a header's value (the token).
 */
const REASONS: Record<string, string> = {
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'its name could not be resolved just now',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_SOCKET: 'the connection closed',
};

const CERTIFICATE_CODES = /CERT|SIGNATURE|ISSUER/;
const NOT_CONNECTED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
/** An upload's connection closed under it by the server, which had it, rather than never reached. */
const CUT_UPLOAD_CODES = new Set(['EPIPE', 'ECONNRESET']);

/** What a request may have done once it was sent, whatever became of its answer: spent a view (a reveal) or made a secret (a create). */
export type Effect = 'spends' | 'creates';

/** `effect`: what a failure after the request was sent (its body whole) may have done all the same. */
export function transportError(origin: string, error: unknown, patience: Patience, effect?: Effect): OncelinkError {
  // A create's multipart body cut short made nothing.
  const done = patience.sendingBody ? undefined : effect;
  if (patience.ranOut)
    return done ? lostAnswer(origin, `none came within ${patience.ms / 1000} s, ONCELINK_TIMEOUT`, done) : patience.timeout();
  const cause = (error as { cause?: { code?: unknown } }).cause;
  // Nothing reached the server, whatever the request was.
  if (cause instanceof ProxyFailed) return new OncelinkError(0, `Cannot reach ${origin}: ${proxyFailure(cause)}.`);
  // Only a connection's code is a string: an HTTP client's own errors may carry a number there.
  const code = typeof cause?.code === 'string' ? cause.code : '';
  // The server was reached; what was sent is what went wrong.
  if (code === 'ERR_HTTP_CONTENT_LENGTH_MISMATCH')
    return new OncelinkError(0, 'The file changed while it was being sent; send it again once it is still.');
  if (error instanceof UploadFailed && CUT_UPLOAD_CODES.has(code))
    return new OncelinkError(0, `${origin} closed the connection during the upload, without an answer (${code}).`);
  const why =
    REASONS[code] ??
    (code.startsWith('ERR_SSL') ? 'the TLS handshake failed (does it serve https?)' : undefined) ??
    (CERTIFICATE_CODES.test(code) ? `its TLS certificate was not accepted (${code})` : undefined) ??
    (code ? `the request failed (${code})` : 'the request failed');
  // No connection (refused, no such host, no route, a TLS handshake or certificate refused) sent
  // nothing; after any other failure, the server may have had the request.
  const neverSent = NOT_CONNECTED.has(code) || code.startsWith('ERR_SSL') || CERTIFICATE_CODES.test(code);
  if (done && !neverSent) return lostAnswer(origin, why, done);
  return new OncelinkError(0, `Cannot reach ${origin}: ${why}.`);
}

function proxyFailure({ proxy, status, cause }: ProxyFailed): string {
  if (status !== undefined) return `the proxy ${proxy} refused the connection (HTTP ${status})`;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NOT_CONNECTED.has(code)) return `the proxy ${proxy} could not be reached (${REASONS[code]})`;
  return `the proxy ${proxy} closed the connection`;
}

/** A reveal whose answer never came back: not tried again, since the view may be spent already. */
export function lostReveal(origin: string, why: string): OncelinkError {
  return new OncelinkError(0, `The answer to the reveal from ${origin} was lost (${why}): the view may have been spent.`);
}

/** A request whose answer never came back: a reveal may have spent the view, a create made the secret (its link known to the server alone). */
function lostAnswer(origin: string, why: string, effect: Effect): OncelinkError {
  if (effect === 'spends') return lostReveal(origin, why);
  return new OncelinkError(0, `The answer to the create at ${origin} was lost (${why}): a secret may have been made all the same.`);
}

/** A 3xx: never followed, since it could carry the request (and its token) elsewhere. */
export function redirectError(origin: string, location: string | null, toConfiguredServer: boolean): OncelinkError {
  let to = '';
  try {
    if (location) to = ` to ${new URL(location, origin).origin}`;
  } catch {
    // A Location that is no URL: said without it.
  }
  const advice = toConfiguredServer ? 'set ONCELINK_URL to the address it serves on' : 'redirects are not followed';
  return new OncelinkError(0, `${origin} answered with a redirect${to}; ${advice}.`);
}
