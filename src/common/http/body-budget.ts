import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import type { Logger } from 'pino';
import { ApiError } from '../errors/api-error';
import { renderError } from '../errors/all-exceptions.filter';
import { logRequest, unroutedPath } from '../logging/logger';
import { SMALL_BODY_BYTES } from './body-timeout';
import { requestId } from './request-id';
import { API_SECURITY_HEADERS } from './security-headers';

/** An upload streams to disk and has its own slots (file-upload): it holds no body in memory. */
const MULTIPART = /^multipart\//i;

export interface BodyBudgetOptions {
  /** BODY_MEMORY_LIMIT_BYTES: what the bodies still arriving may hold together. */
  limit: number;
  /** BODY_LIMIT_BYTES: a longer declared body is a 413 on every route before it is read, so it holds nothing. */
  largestBody: number;
  /** The client a request's body is counted against, as the rate limits count one (geo's addressKey behind TRUST_PROXY). */
  clientOf: (raw: IncomingMessage) => string;
  logger: Logger;
}

/** What one request has charged; given back once, when its body or its answer closes. */
interface Charge {
  /** Adds `bytes`, or answers false when that would pass the budget (nothing is added). */
  add(bytes: number): boolean;
}

/**
 * The bound on the memory the JSON bodies still being received hold: each request buffers its
 * body until it is whole (up to BODY_LIMIT_BYTES), and a client sending slowly, within
 * BODY_IDLE_TIMEOUT_MS, holds it that long, so a few thousand such connections would take
 * gigabytes. A body is charged its declared `Content-Length` before a byte is read (a chunked
 * one as its chunks arrive) and given back when the request closes (its body whole and parsed,
 * or cut) or its answer does (refused, or the client gone), whichever comes first. One that
 * would pass the limit, or its client's share of it, is answered 503 `server_busy` with
 * `Retry-After`, and its connection closed unread.
 *
 * It bounds the bodies still arriving, not the parsed ones: a body is given back at its last
 * byte, while its parsed value stays in memory through its handler (a pool wait, the hash queue).
 * It is charged before authentication and rate limits run, so that no one client can hold it all
 * and turn everyone's requests away, a small body (SMALL_BODY_BYTES, as every reveal, login and
 * ordinary create) is neither charged nor refused (its size and its deadline bound it), and one
 * client address, as the rate limits count one, holds at most a quarter of the budget (or one
 * body of BODY_LIMIT_BYTES, if that is more).
 */
export class BodyBudget {
  private held = 0;
  /** What each client (its addressKey) holds now; an entry is deleted when it holds nothing. */
  private readonly heldBy = new Map<string, number>();
  private readonly share: number;

  constructor(private readonly options: BodyBudgetOptions) {
    this.share = Math.min(options.limit, Math.max(Math.ceil(options.limit / 4), options.largestBody));
  }

  /**
   * Charges the body a request declares, ahead of the direct routes and of Fastify alike; false
   * when it was refused (answered here). A chunked body is charged as it arrives (countChunkedBodies).
   */
  admit(raw: IncomingMessage, res: ServerResponse): boolean {
    const length = raw.headers['content-length'];
    if (length === undefined || length === '0' || MULTIPART.test(raw.headers['content-type'] ?? '')) return true;
    const bytes = Number(length);
    if (!(bytes > SMALL_BODY_BYTES) || bytes > this.options.largestBody) return true;
    if (this.charge(raw, res).add(bytes)) return true;
    this.refuse(raw, res);
    return false;
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
      // Charged once past SMALL_BODY_BYTES, all it has sent so far at once.
      let received = 0;
      let charge: Charge | undefined;
      const counted = new Transform({
        transform: (chunk: Buffer, _encoding, next) => {
          received += chunk.length;
          if (received <= SMALL_BODY_BYTES) return next(null, chunk);
          const more = charge ? chunk.length : received;
          charge ??= this.charge(raw, reply.raw);
          return charge.add(more) ? next(null, chunk) : next(busy());
        },
      });
      // pipe() passes no error on: a client that goes must still fail the read, as it would unpiped.
      payload.once('error', (error) => counted.destroy(error));
      done(null, payload.pipe(counted));
    });
  }

  private charge(raw: IncomingMessage, res: ServerResponse): Charge {
    const client = this.options.clientOf(raw);
    let bytes = 0;
    let open = true;
    const giveBack = () => {
      if (!open) return;
      open = false;
      if (bytes === 0) return;
      this.held -= bytes;
      const left = this.heldBy.get(client)! - bytes;
      if (left > 0) this.heldBy.set(client, left);
      else this.heldBy.delete(client);
    };
    raw.once('close', giveBack);
    res.once('close', giveBack);
    return {
      add: (more) => {
        // A chunk still read after the answer (Node drops the rest) holds nothing.
        if (!open) return true;
        const mine = this.heldBy.get(client) ?? 0;
        if (this.held + more > this.options.limit || mine + more > this.share) return false;
        this.held += more;
        bytes += more;
        this.heldBy.set(client, mine + more);
        return true;
      },
    };
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

// Its own statusCode: Fastify's body reader sets 400 on an error that has none of 400 or more.
const busy = () =>
  Object.assign(
    new ApiError(
      503,
      'The server is receiving as many request bodies as it holds at once, or as this client may; try again shortly.',
      { code: 'server_busy' },
      // Closed, so the body is never read: the client learns at once, and its bytes cost nothing.
      { 'Retry-After': '1', Connection: 'close' },
    ),
    { statusCode: 503 },
  );
