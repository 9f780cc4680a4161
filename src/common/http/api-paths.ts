export const API_PREFIX = 'api/v1';

const API_PATHS = `/${API_PREFIX}/`;

/** Whether a path as sent is under the API's prefix. */
export function isApiPath(url: string): boolean {
  return url.startsWith(API_PATHS);
}

/**
 * Whether a request is the API's: by the route Fastify matched, whose router decodes the path
 * (`/%61pi/v1/secrets` is `/api/v1/secrets`), or by the path as sent when no route matched.
 */
export function isApiRequest(request: { url: string; routeOptions: { url?: string } }): boolean {
  return isApiPath(request.routeOptions.url ?? request.url);
}
