import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { logRequest, unroutedPath } from '../logging/logger';
import { abortedRequest } from './aborted-request';
import { requestId } from './request-id';
import { refusal } from './unparsable-request';

/** How long the rest of a body answered before it was read is read and dropped (nginx's `lingering_time`). */
const LINGER_MS = 30_000;
/**
 * A small body: it needs no lingering limit (it is read and dropped at once), must all arrive
 * within a deadline, and is never refused by the body budget (the hot routes' bodies are far smaller).
 */
export const SMALL_BODY_BYTES = 64 * 1024;
const MULTIPART = /^multipart\//i;
/** A small body must have all arrived within this many `idleMs` of its headers, however steadily it trickles. */
const SMALL_BODY_DEADLINE_WINDOWS = 2;
/** The slowest a body may arrive, averaged over each idle window (Apache's mod_reqtimeout takes 500). */
const MIN_BYTES_PER_SECOND = 1024;

/**
 * A request body that stops arriving for `idleMs` is answered 408 and its connection closed, as
 * nginx's `client_body_timeout` does; so is a body of 64 KiB or less that has not all arrived
 * within 2 × `idleMs` of its headers, and a body over 64 KiB (or chunked), or an upload of any
 * size, that trickles in slower than MIN_BYTES_PER_SECOND over such a window, as Apache's
 * `MinRate` does: a byte a minute would otherwise hold one of the few upload slots for the whole
 * transfer limit. Node times out headers (`headersTimeout`) but not a body once Fastify's
 * `requestTimeout` is off (it must be, for long uploads), and a socket's own idle timeout covers
 * only a connection's first request; so one client could hold a connection, and a handler
 * waiting on the body, for as long as it liked by sending half a JSON body.
 *
 * A body answered before it was all read (an upload refused for its token or plan, before its
 * file or while it is read) is read and dropped, so the client, still sending, gets to read the
 * answer (closing at once would reset the connection under it); but for LINGER_MS at most (or
 * `idleMs`, if shorter), as nginx's lingering close, then the connection is closed: a client
 * cannot stream into a refusal for ever.
 */
export function timeOutStalledBodies(server: Server, idleMs: number, logger: Logger): void {
  // The request whose body the socket's timeout is timing: a pipelined one may follow before an earlier one's body ends.
  const timing = new WeakMap<Socket, IncomingMessage>();
  server.prependListener('request', (raw: IncomingMessage, res: ServerResponse) => {
    if (!carriesBody(raw)) return;
    const socket = raw.socket;
    const started = performance.now();
    // Node emits a request's 'timeout' only while its body is incomplete.
    // Called once: the gap, the pace and the deadline may each find the same body late, and a 408
    // queued behind an answer owed to an earlier pipelined request must wait its turn, not be cut.
    let refused = false;
    const stalled = () => {
      if (refused) return;
      refused = true;
      if (res.headersSent) return void socket.destroy();
      const { id, headers, body } = refusal(408, requestId(raw));
      // Through the response, so an answer still owed to an earlier pipelined request goes first; then Node closes.
      res.writeHead(408, headers).end(body);
      // Node forgets an answered request, so closing no longer aborts it: whatever still reads its body must hear, as Node would say it.
      socket.once('close', () => raw.destroy(abortedRequest()));
      logRequest(logger, {
        id,
        method: raw.method ?? '-',
        path: unroutedPath(raw.url ?? '/'),
        status: 408,
        ms: performance.now() - started,
      });
    };
    timing.set(socket, raw);
    raw.setTimeout(idleMs, stalled);
    // A small body is timed by its gaps and a deadline; a larger one by its pace, and so is an upload
    // of any size, which holds one of its team's few upload places while it arrives.
    const large = !(Number(raw.headers['content-length']) <= SMALL_BODY_BYTES);
    const upload = MULTIPART.test(raw.headers['content-type'] ?? '');
    const pace = large || upload ? minimumPace(socket, idleMs, stalled) : undefined;
    // A small body's gaps alone would let a byte every `idleMs` hold the request for weeks.
    const deadline = large || upload ? undefined : setTimeout(() => raw.complete || stalled(), SMALL_BODY_DEADLINE_WINDOWS * idleMs);
    // The rest of a larger body, or of an upload (its reader may stop partway), is dropped once
    // answered (Node drops only a body nothing read); a small one drains at once, a larger (or chunked) one needs a limit.
    if (large || upload) {
      res.once('finish', () => {
        if (raw.complete) return;
        dropRest(raw);
        if (!large) return;
        const lingering = setTimeout(() => socket.destroy(), Math.min(LINGER_MS, idleMs));
        raw.once('end', () => clearTimeout(lingering));
        socket.once('close', () => clearTimeout(lingering));
      });
    }
    // 'close' too: a body cut short never ends.
    raw.once('close', () => clearTimeout(deadline));
    raw.once('end', () => {
      clearTimeout(deadline);
      pace?.stop();
      raw.off('timeout', stalled);
      // Once answered, Node has set the keep-alive timeout in its place.
      if (timing.get(socket) === raw && !res.writableEnded) socket.setTimeout(0);
    });
  });
}

/**
 * Reads and drops what is left of an answered body. Node does so itself only for a body nothing
 * has read; one whose reader stopped partway (the multipart parser, when an upload is refused
 * while its file is read) is left unpiped and paused, so the client's sending stalls and the
 * rest waits unread. Dropped as it arrives, nothing of it is kept.
 */
function dropRest(raw: IncomingMessage): void {
  raw.unpipe();
  raw.removeAllListeners('data');
  raw.resume();
}

/**
 * Calls `stalled` once the socket has read less than MIN_BYTES_PER_SECOND over a window of
 * `idleMs`, until stopped (the body ended) or the socket closes; a keep-alive socket's later
 * requests find no listener of this one's left on it.
 */
function minimumPace(socket: Socket, idleMs: number, stalled: () => void): { stop: () => void } {
  let read = socket.bytesRead;
  const timer = setInterval(() => {
    if (socket.bytesRead - read < (MIN_BYTES_PER_SECOND * idleMs) / 1000) stalled();
    read = socket.bytesRead;
  }, idleMs).unref();
  const stop = () => {
    clearInterval(timer);
    socket.off('close', stop);
  };
  socket.once('close', stop);
  return { stop };
}

function carriesBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  return (length !== undefined && length !== '0') || raw.headers['transfer-encoding'] !== undefined;
}
