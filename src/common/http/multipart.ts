import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors/api-error';
import { AddRouteConfig } from './route-config';

interface MultipartRouteConfig {
  readsMultipart?: boolean;
}

/** Marks an action that reads a `multipart/form-data` body itself (a file secret's upload). */
export const ReadsMultipart = () => AddRouteConfig({ readsMultipart: true } satisfies MultipartRouteConfig);

/**
 * A multipart body on any other route would reach its action as no body at all (a PUT that
 * "succeeds" changing nothing): it is a 415 there instead, before a byte of it is read, and the
 * connection closes so the rest of the upload is not read either.
 */
export function refuseUnreadMultipart(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    // A path no route takes answers 404 (its body read and dropped), not this.
    if (!request.isMultipart() || request.is404 || (request.routeOptions.config as MultipartRouteConfig).readsMultipart) return done();
    done(new ApiError(415, 'This endpoint takes application/json.', {}, { Connection: 'close' }));
  });
}
