import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';

/**
 * Adds to a route's Fastify config (`request.routeOptions.config`). Nest's own `RouteConfig`
 * replaces what an earlier one set, so a route with two of ours would keep only one.
 */
export const AddRouteConfig =
  (entry: Record<string, unknown>): MethodDecorator =>
  (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const config = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined;
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, ...entry }, handler);
  };

/** A controller action's route config, as Fastify will be given it. */
export const routeConfigOf = (handler: object): object | undefined =>
  Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as object | undefined;
