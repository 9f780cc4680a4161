import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../errors/api-error';

/** Whether the request carries a body in a content coding (gzip, br, …) rather than as is. */
export function hasEncodedBody(headers: IncomingHttpHeaders): boolean {
  const coding = headers['content-encoding']?.trim().toLowerCase();
  if (!coding || coding === 'identity') return false;
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
}

/**
 * The API reads bodies as sent: a compressed one would fail as "not valid UTF-8", and a plain
 * one labelled gzip would be taken as plain. Either is a 415 naming the coding it takes (RFC
 * 9110 §8.4.1, §12.5.3), before a byte of the body is read.
 */
export function refuseEncodedBodies(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (!hasEncodedBody(request.headers)) return done(null, payload);
    done(new ApiError(415, 'A request body must not be compressed (Content-Encoding).', {}, { 'Accept-Encoding': 'identity' }));
  });
}
