import { errorCodes, type FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AddRouteConfig, routeConfigOf } from './route-config';

/**
 * The most any JSON body but a secret's may be: the largest legitimate one, `PATCH /account`'s
 * name and two passwords (2,148 characters) sent as JSON's escapes, which an astral character
 * takes 12 bytes for (`\uD83D\uDE00`, as Python's json.dumps writes by default), is about 26 KiB.
 */
export const SMALL_BODY_LIMIT_BYTES = 32 * 1024;

interface BodyLimitRouteConfig {
  largeBody?: boolean;
}

/**
 * Marks an action whose body may be as large as BODY_LIMIT_BYTES: a secret's content, or
 * Stripe's signed event (read only once its signature holds). Every other route takes
 * SMALL_BODY_LIMIT_BYTES, so a body that would cost real time to parse never reaches it.
 */
export const LargeBody = () => AddRouteConfig({ largeBody: true } satisfies BodyLimitRouteConfig);

/** The body limit of the action `handler`, by the one rule both Fastify and the direct routes follow. */
export function bodyLimitOf(handler: object, bodyLimitBytes: number): number {
  return limitFor(routeConfigOf(handler), bodyLimitBytes);
}

/** Gives each Fastify route its limit as it is added; call before the app's routes are. */
export function limitBodiesPerRoute(fastify: FastifyInstance, bodyLimitBytes: number): void {
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit = limitFor(route.config as BodyLimitRouteConfig | undefined, bodyLimitBytes);
  });
}

/** Methods no route takes a large body on, answered by a route or by the 404 alike. */
const SMALL_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
/** Methods whose body Fastify never reads, so no route's limit would ever meet it. */
const UNREAD_BODY_METHODS = new Set(['GET', 'HEAD']);

/**
 * Holds a body that no route reads to the limit a route would: a declared one past it is
 * Fastify's own 413 before a byte is read or the token looked at (an OPTIONS or a wrong method
 * goes to the 404, whose limit is BODY_LIMIT_BYTES), and a chunked GET's or HEAD's connection is cut once
 * it passes it, answered or not. Call after the hook that sets the API's headers, which the 413 carries.
 */
export function limitUnreadBodies(fastify: FastifyInstance, bodyLimitBytes: number): void {
  const limit = limitFor(undefined, bodyLimitBytes);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!SMALL_BODY_METHODS.has(request.method)) return done();
    const { headers } = request.raw;
    if (Number(headers['content-length']) > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    if (headers['transfer-encoding'] !== undefined && UNREAD_BODY_METHODS.has(request.method)) cutPast(request.raw, reply.raw, limit);
    done();
  });
}

function cutPast(raw: IncomingMessage, res: ServerResponse, limit: number): void {
  let received = 0;
  const count = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) raw.destroy();
  };
  raw.on('data', count);
  // Once the answer is sent, the rest of the body is read and dropped (body-timeout's dropRest),
  // which may take the 'data' listeners off first: counted on past the answer, whichever runs first.
  res.once('finish', () =>
    setImmediate(() => {
      if (!raw.complete && !raw.listeners('data').includes(count)) raw.on('data', count);
    }),
  );
}

const limitFor = (config: BodyLimitRouteConfig | undefined, bodyLimitBytes: number): number =>
  config?.largeBody ? bodyLimitBytes : Math.min(SMALL_BODY_LIMIT_BYTES, bodyLimitBytes);
