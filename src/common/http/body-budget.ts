import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import type { Logger } from 'pino';
import { ApiError } from '../errors/api-error';
import { renderError } from '../errors/all-exceptions.filter';
import { logRequest, unroutedPath } from '../logging/logger';
import { requestId } from './request-id';
import { API_SECURITY_HEADERS } from './security-headers';

/** An upload streams to disk and has its own slots (file-upload): it holds no body in memory. */
const MULTIPART = /^multipart\//i;

export interface BodyBudgetOptions {
  /** BODY_MEMORY_LIMIT_BYTES: what the bodies still arriving may hold together. */
  limit: number;
  /** BODY_LIMIT_BYTES: a longer declared body is a 413 on every route before it is read, so it holds nothing. */
  largestBody: number;
  logger: Logger;
}

/** What one request has charged; given back once, when its body or its answer closes. */
interface Charge {
  /** Adds `bytes`, or answers false when that would pass the budget (nothing is added). */
  add(bytes: number): boolean;
}

/**
 * The one bound on the memory every JSON body still being received holds: each request buffers
 * its body until it is whole (up to BODY_LIMIT_BYTES), and a client sending slowly, within
 * BODY_IDLE_TIMEOUT_MS, holds it that long, so a few thousand such connections would take
 * gigabytes. A body is charged its declared `Content-Length` before a byte is read (a chunked
 * one as its chunks arrive) and given back when the request closes (its body whole and parsed,
 * or cut) or its answer does (refused, or the client gone), whichever comes first. One that
 * would pass the limit is answered 503 `server_busy` with `Retry-After`, and its connection
 * closed unread.
 */
export class BodyBudget {
  private held = 0;

  constructor(private readonly options: BodyBudgetOptions) {}

  /**
   * Charges the body a request declares, ahead of the direct routes and of Fastify alike; false
   * when it was refused (answered here). A chunked body is charged as it arrives (countChunkedBodies).
   */
  admit(raw: IncomingMessage, res: ServerResponse): boolean {
    const length = raw.headers['content-length'];
    if (length === undefined || length === '0' || MULTIPART.test(raw.headers['content-type'] ?? '')) return true;
    const bytes = Number(length);
    if (bytes > this.options.largestBody) return true;
    if (!this.fits(bytes)) {
      this.refuse(raw, res);
      return false;
    }
    this.charge(raw, res).add(bytes);
    return true;
  }

  /**
   * Counts a chunked body's bytes as Fastify reads them (only Fastify takes one); a chunk that
   * would pass the budget fails the read with the same 503, its connection closed.
   */
  countChunkedBodies(fastify: FastifyInstance): void {
    fastify.addHook('preParsing', (request, reply, payload, done) => {
      const { raw } = request;
      if (raw.headers['transfer-encoding'] === undefined || MULTIPART.test(raw.headers['content-type'] ?? '')) {
        return done(null, payload);
      }
      const charge = this.charge(raw, reply.raw);
      const counted = new Transform({
        transform: (chunk: Buffer, _encoding, next) => (charge.add(chunk.length) ? next(null, chunk) : next(busy())),
      });
      // pipe() passes no error on: a client that goes must still fail the read, as it would unpiped.
      payload.once('error', (error) => counted.destroy(error));
      done(null, payload.pipe(counted));
    });
  }

  private charge(raw: IncomingMessage, res: ServerResponse): Charge {
    let bytes = 0;
    let open = true;
    const giveBack = () => {
      if (open) this.held -= bytes;
      open = false;
    };
    raw.once('close', giveBack);
    res.once('close', giveBack);
    return {
      add: (more) => {
        // A chunk still read after the answer (Node drops the rest) holds nothing.
        if (!open) return true;
        if (!this.fits(more)) return false;
        this.held += more;
        bytes += more;
        return true;
      },
    };
  }

  private fits(bytes: number): boolean {
    return this.held + bytes <= this.options.limit;
  }

  private refuse(raw: IncomingMessage, res: ServerResponse): void {
    const id = requestId(raw);
    const { status, headers, body } = renderError(busy(), id);
    const json = JSON.stringify(body);
    res
      .writeHead(status, {
        ...API_SECURITY_HEADERS,
        ...headers,
        'x-request-id': id,
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(json),
      })
      .end(json);
    logRequest(this.options.logger, { id, method: raw.method ?? '-', path: unroutedPath(raw.url ?? '/'), status });
  }
}

const busy = () =>
  new ApiError(
    503,
    'The server is receiving as many request bodies as it holds at once; try again shortly.',
    { code: 'server_busy' },
    // Closed, so the body is never read: the client learns at once, and its bytes cost nothing.
    { 'Retry-After': '1', Connection: 'close' },
  );
