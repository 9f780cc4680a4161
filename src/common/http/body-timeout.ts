import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { unroutedPath } from '../logging/logger';
import { refuseOnSocket } from './unparsable-request';

/**
 * A request body that stops arriving for `idleMs` is answered 408 and its connection closed, as
 * nginx's `client_body_timeout` does. Node times out headers (`headersTimeout`) but not a body
 * once Fastify's `requestTimeout` is off (it must be, for long uploads), and a socket's own idle
 * timeout covers only a connection's first request; so one client could hold a connection, and
 * a handler waiting on the body, for as long as it liked by sending half a JSON body.
 */
export function timeOutStalledBodies(server: Server, idleMs: number, logger: Logger): void {
  server.prependListener('request', (raw: IncomingMessage, res: ServerResponse) => {
    if (!carriesBody(raw)) return;
    const socket = raw.socket;
    // Node emits a request's 'timeout' only while its body is incomplete.
    const stalled = () => {
      if (!res.headersSent) refuseOnSocket(logger, socket, 408, { method: raw.method ?? '-', path: unroutedPath(raw.url ?? '/') });
      socket.destroy();
    };
    raw.setTimeout(idleMs, stalled);
    raw.once('end', () => {
      raw.off('timeout', stalled);
      // Once answered, Node has set the keep-alive timeout in its place.
      if (!res.writableEnded) socket.setTimeout(0);
    });
  });
}

function carriesBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  return (length !== undefined && length !== '0') || raw.headers['transfer-encoding'] !== undefined;
}
