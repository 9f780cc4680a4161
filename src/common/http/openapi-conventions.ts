import type { OpenAPIObject } from '@nestjs/swagger';
import type {
  HeaderObject,
  OperationObject,
  ReferenceObject,
  RequestBodyObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { API_PREFIX } from './api-paths';

/** API.md's table of failures: what each status means wherever it is answered. */
const FAILURES: Record<number, string> = {
  400: 'The body is not parseable JSON or multipart, the path does not decode (a bad %-escape), or several Authorization headers were sent.',
  401: 'Missing, malformed, unknown, expired or revoked token.',
  403: 'The token lacks the ability, or the member the role.',
  404: 'No such resource in the caller’s team (another team’s ids are 404, never 403).',
  408: 'The body stopped arriving for BODY_IDLE_TIMEOUT_MS; the connection is closed.',
  413: 'The body is over its route’s limit (BODY_LIMIT_BYTES where a secret’s content is taken, else 32 KiB), or over the size the caller’s plan allows (`code: plan_limit`).',
  414: 'A path segment is longer than 100 characters.',
  415: 'The body is not JSON (or multipart where files are taken), or is compressed (`Accept-Encoding: identity`).',
  417: 'An `Expect` header other than `100-continue`; the connection is closed.',
  422: 'Validation failed: `errors` names each field. Unknown fields are refused too.',
  429: 'Rate limited: wait `Retry-After` seconds.',
  500: 'A generic message: never a stack trace, SQL or secret material.',
  503: 'The database or the shared rate-limit counters cannot be reached, or the server is busy: retry after `Retry-After` seconds.',
};

const header = (description: string, type: 'integer' | 'string' = 'integer'): HeaderObject => ({ description, schema: { type } });

/** On every /api/v1 answer, success or failure. */
const REQUEST_ID: Record<string, HeaderObject> = {
  'X-Request-Id': header('This request’s id, in the server’s logs too (a caller’s own is kept when it is harmless).', 'string'),
};

/** On every /api/v1 answer but those written before the request reaches its route (`UNROUTED`). */
const RATE_LIMIT: Record<string, HeaderObject> = {
  'X-RateLimit-Limit': header('Requests the budget allows per window.'),
  'X-RateLimit-Remaining': header('Requests left in the window.'),
  'X-RateLimit-Reset': header('Seconds until the window resets.'),
};

/**
 * A stalled body (408) and an unknown `Expect` (417) are answered on the connection, outside the
 * route that would have counted the request and set its headers (unparsable-request.ts).
 */
const UNROUTED = new Set(['408', '417']);

/**
 * RFC 6750's challenge, on a 401 for the bearer token; a route that takes none answers its 401s
 * (a passcode, a login's credentials) without one.
 */
const CHALLENGE: Record<string, HeaderObject> = {
  'WWW-Authenticate': header(
    '`Bearer realm="oncelink"`, with `error="invalid_token"` when a token was sent and refused (RFC 6750).',
    'string',
  ),
};

/** On a 415 for a compressed body: the one content coding a body may have. */
const ACCEPT_ENCODING: Record<string, HeaderObject> = {
  'Accept-Encoding': {
    description: '`identity`, when the body was refused for its `Content-Encoding`.',
    schema: { type: 'string', enum: ['identity'] },
  },
};

const RETRY_AFTER: Record<string, HeaderObject> = { 'Retry-After': header('Seconds to wait before trying again.') };

/** On answers to a token that expires (`expires_in_days`), as GitHub's token expiration header. */
const TOKEN_EXPIRATION: Record<string, HeaderObject> = {
  'Oncelink-Token-Expiration': {
    description: 'When the token stops working (ISO-8601 UTC)',
    schema: { type: 'string', format: 'date-time' },
  },
};

/** Each header is described once, in components, and referred to from every answer that carries it. */
const refs = (headers: Record<string, HeaderObject>) =>
  Object.fromEntries(Object.keys(headers).map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** What a failure's body is, wherever it happens. */
const ERROR_BODY = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };

/**
 * Fills in what every operation of the API answers besides its own successes, from what the
 * document already says of it: a bearer token may be refused or sent twice (401, 400), an
 * ability or role lacking (403), a path's id unknown, not decodable or too long (404, 400, 414), a
 * body malformed, too large, of the wrong type, too slow or invalid (400, 413, 415, 408, 422), a
 * query invalid (422); and any call may be rate limited (429), meet an outage (503) or a fault
 * (500), send a compressed body (415) or an `Expect` the server does not know (417). Failures a
 * route documents itself (`@ApiErrors`) keep their own description. Every answer carries
 * X-Request-Id, and all but a 408 or 417 the rate-limit headers.
 */
export function documentConventions(document: OpenAPIObject): OpenAPIObject {
  document.components = {
    ...document.components,
    headers: {
      ...document.components?.headers,
      ...REQUEST_ID,
      ...RATE_LIMIT,
      ...RETRY_AFTER,
      ...TOKEN_EXPIRATION,
      ...CHALLENGE,
      ...ACCEPT_ENCODING,
    },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith(`/${API_PREFIX}/`)) continue;
    for (const operation of Object.values(item) as OperationObject[]) {
      if (!operation?.responses) continue;
      describeBody(document, operation);
      for (const status of failuresOf(operation)) operation.responses[status] ??= { description: FAILURES[status] };
      for (const [status, response] of Object.entries(operation.responses) as [string, ResponseObject][]) {
        if (Number(status) >= 400) response.content ??= ERROR_BODY;
        if (status === '429' || status === '503') response.headers = { ...refs(RETRY_AFTER), ...response.headers };
        if (status === '401' && takesToken(operation)) response.headers = { ...response.headers, ...refs(CHALLENGE) };
        if (status === '415') response.headers = { ...response.headers, ...refs(ACCEPT_ENCODING) };
        response.headers = { ...response.headers, ...refs(REQUEST_ID) };
        if (UNROUTED.has(status)) continue;
        response.headers = { ...response.headers, ...refs(RATE_LIMIT) };
        if (status !== '401' && takesToken(operation)) response.headers = { ...response.headers, ...refs(TOKEN_EXPIRATION) };
      }
    }
  }
  return document;
}

const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * An operation's id, for generated clients: its controller's resource and its action in snake
 * case (`SecretsController.create`: `secrets_create`), unique as the pair is and stable across
 * releases while neither is renamed.
 */
export const operationIdOf = (controllerKey: string, methodKey: string): string =>
  `${snakeCase(controllerKey.replace(/Controller$/, ''))}_${snakeCase(methodKey)}`;

/**
 * What a body's schemas leave unsaid: a field the DTO does not declare is refused (422), and a
 * body whose every field is optional may be left out (`PUT /secrets/{id}`, `PATCH /account`), as
 * the server takes no body as `{}`.
 */
function describeBody(document: OpenAPIObject, operation: OperationObject): void {
  const body = operation.requestBody as RequestBodyObject | undefined;
  if (!body) return;
  const schemas = Object.values(body.content).map((media) => {
    const name = (media.schema as ReferenceObject | undefined)?.$ref?.split('/').pop();
    return name ? (document.components?.schemas?.[name] as SchemaObject | undefined) : undefined;
  });
  for (const schema of schemas) if (schema) schema.additionalProperties = false;
  if (schemas.every((schema) => schema !== undefined && !schema.required?.length)) body.required = false;
}

const takesToken = (operation: OperationObject) => (operation.security ?? []).some((requirement) => 'bearer' in requirement);

function failuresOf(operation: OperationObject): number[] {
  const parameters = (operation.parameters ?? []) as { in?: string }[];
  const ability = (operation as { 'x-ability'?: string })['x-ability'];
  const role = operation as { 'x-admin'?: boolean; 'x-owner'?: boolean };
  return [
    // Several Authorization headers are refused before any token is read (`assertOneAuthorization`).
    ...(takesToken(operation) ? [400, 401] : []),
    ...((ability && ability !== 'any') || role['x-admin'] || role['x-owner'] ? [403] : []),
    ...(parameters.some((parameter) => parameter.in === 'path') ? [400, 404, 414] : []),
    ...(operation.requestBody ? [400, 408, 413, 422] : []),
    ...(parameters.some((parameter) => parameter.in === 'query') ? [422] : []),
    // Any request may send a compressed body (a GET too: it is refused before a route reads it),
    // or an `Expect` Node does not know.
    415,
    417,
    429,
    500,
    503,
  ];
}
