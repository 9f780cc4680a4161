import type { FastifyRequest } from 'fastify';
import { AddRouteConfig } from './route-config';

/**
 * A route that reads only the exact bytes it was sent (`request.rawBody`): its JSON is not
 * parsed for it, so nothing the JSON parser refuses (a `__proto__` key in a Stripe event's
 * metadata, say) keeps the route from verifying a signature over those bytes and reading them itself.
 */
export const RawBodyOnly = () => AddRouteConfig({ rawBodyOnly: true });

export function wantsRawBodyOnly(request: FastifyRequest): boolean {
  return (request.routeOptions.config as { rawBodyOnly?: boolean }).rawBodyOnly === true;
}
