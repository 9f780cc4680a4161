import type { FastifyInstance } from 'fastify';
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

const limitFor = (config: BodyLimitRouteConfig | undefined, bodyLimitBytes: number): number =>
  config?.largeBody ? bodyLimitBytes : Math.min(SMALL_BODY_LIMIT_BYTES, bodyLimitBytes);
