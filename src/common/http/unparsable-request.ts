import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { logRequest, unroutedPath } from '../logging/logger';
import { requestId } from './request-id';
import { API_SECURITY_HEADERS } from './security-headers';

type Refused = 400 | 408 | 417 | 431;

const MESSAGES: Record<Refused, string> = {
  400: 'The request could not be parsed.',
  408: 'The request took too long to arrive.',
  417: 'The Expect header can only be 100-continue.',
  431: 'The request headers are too large.',
};

/**
 * Node refuses a request it cannot parse (headers over its 16 KiB, a garbled request line, a
 * request too slow to arrive) before there is a request for Fastify; the answer still has the
 * contract's body and the API's headers, an access log line with its request id, and the
 * connection closes, as Node would close it. While an earlier request on the connection (a
 * keep-alive or pipelining client's) is still owed its answer, going out or not yet begun, nothing
 * is written: the connection is only cut.
 */
export function answerUnparsable(logger: Logger) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // The client closed its side before its request had all arrived: there is no one to answer
    // (a request under way hears that it was aborted, and says so).
    if (error.code === 'HPE_INVALID_EOF_STATE') return void socket.destroy();
    // Node's own name for the answer owed on this connection: set from a request's arrival until its
    // answer is all written, and pipelined requests' answers queue behind it. A 400 written now
    // would be read as the answer to the earliest of them, whose own would be lost.
    const owed = (socket as { _httpMessage?: unknown })._httpMessage != null;
    if (!owed) {
      refuseOnSocket(logger, socket, error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400);
    }
    socket.destroy(error);
  };
}

/** An `Expect` Node does not know (anything but 100-continue): the contract's 417, where Node's own would be bare. */
export function refuseUnknownExpectations(server: Server, logger: Logger): void {
  server.on('checkExpectation', (raw: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const { id, headers, body } = refusal(417, requestId(raw));
    res.writeHead(417, headers).end(body);
    logRequest(logger, { id, method: raw.method ?? '-', path: unroutedPath(raw.url ?? '/'), status: 417, ms: performance.now() - started });
  });
}

/**
 * An HTTP/1.1 request without a Host (RFC 9112 §3.2 makes it a 400): the contract's 400, where
 * Node's own (`requireHostHeader`, off in the server factory) would be bare. Nothing reads Host
 * after this: links are built on PUBLIC_URL.
 */
export function refusedWithoutHost(raw: IncomingMessage, res: ServerResponse, logger: Logger): boolean {
  if (raw.headers.host || raw.httpVersion !== '1.1') return false;
  const started = performance.now();
  const { id, headers, body } = refusal(400, requestId(raw), 'The Host header is required.');
  res.writeHead(400, headers).end(body);
  logRequest(logger, { id, method: raw.method ?? '-', path: unroutedPath(raw.url ?? '/'), status: 400, ms: performance.now() - started });
  return true;
}

/**
 * The contract's answer to a request refused before a route took it, with `Connection: close`;
 * `id` is the request's, when it has headers to take one from.
 */
export function refusal(
  status: Refused,
  id: string = randomUUID(),
  message = MESSAGES[status],
): { id: string; headers: Record<string, string | number>; body: string } {
  const body = JSON.stringify({ message });
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
function refuseOnSocket(logger: Logger, socket: Duplex, status: Refused): void {
  if (!socket.writable) return;
  const { id, headers, body } = refusal(status);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`);
  // What the request was, and when it began, is unknown: its bytes did not parse, and may hold anything.
  logRequest(logger, { id, method: '-', path: '-', status });
}
