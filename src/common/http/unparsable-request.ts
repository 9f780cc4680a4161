import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { logRequest } from '../logging/logger';
import { API_SECURITY_HEADERS } from './security-headers';

const MESSAGES: Record<number, string> = {
  400: 'The request could not be parsed.',
  408: 'The request took too long to arrive.',
  431: 'The request headers are too large.',
};

/**
 * Node refuses a request it cannot parse (headers over its 16 KiB, a garbled request line, a
 * request too slow to arrive) before there is a request for Fastify; the answer still has the
 * contract's body and the API's headers, an access log line with its request id, and the
 * connection closes, as Node would close it. As Node does, nothing is written into an answer
 * already going out on the connection (a keep-alive client's earlier request): it is only cut.
 */
export function answerUnparsable(logger: Logger) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // Node's own name for the answer in progress on this connection.
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (!answering) {
      refuseOnSocket(logger, socket, error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400);
    }
    socket.destroy(error);
  };
}

/** The contract's answer to a request refused before a route took it, with `Connection: close`. */
export function refusal(status: 400 | 408 | 431): { id: string; headers: Record<string, string | number>; body: string } {
  const id = randomUUID();
  const body = JSON.stringify({ message: MESSAGES[status] });
  const headers = {
    ...API_SECURITY_HEADERS,
    'x-request-id': id,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  };
  return { id, headers, body };
}

/** Writes `refusal(status)` straight onto `socket` and logs it; the caller closes the socket. */
function refuseOnSocket(logger: Logger, socket: Duplex, status: 400 | 408 | 431): void {
  if (!socket.writable) return;
  const { id, headers, body } = refusal(status);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`);
  // What the request was is unknown: its bytes did not parse, and may hold anything.
  logRequest(logger, { id, method: '-', path: '-', status, ms: 0 });
}
