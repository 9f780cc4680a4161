import { applyDecorators } from '@nestjs/common';
import { ApiCallbacks, ApiExtraModels, getSchemaPath, OpenAPIObject } from '@nestjs/swagger';
import type {
  CallbackObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  RequestBodyObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { WebhookEvent } from './webhook-event';

const signatureHeader = (name: string, description: string, schema: SchemaObject): [string, ParameterObject] => [
  name,
  { name, in: 'header', required: true, description, schema },
];

/** The headers each attempt is signed with (webhook-signature.ts), described once in components. */
const SIGNATURE_HEADERS: Record<string, ParameterObject> = Object.fromEntries([
  signatureHeader(
    'webhook-id',
    'The event’s id, as in the body: the same for every attempt and every destination, so a receiver can drop a repeat (delivery is at least once).',
    { type: 'string', pattern: '^evt_[0-9a-f]{32}$' },
  ),
  signatureHeader('webhook-timestamp', 'When this attempt was signed, in Unix seconds.', { type: 'integer' }),
  signatureHeader(
    'webhook-signature',
    'Standard Webhooks: `v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<raw body>")>`, the key being the bytes a Standard Webhooks library derives from the team’s `whsec_…` secret. For 24 hours after a rotation both secrets sign (two entries, space-separated).',
    { type: 'string', pattern: '^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$' },
  ),
  signatureHeader(
    'Oncelink-Signature',
    '`t=<unix seconds>,v1=<hex HMAC-SHA256(team webhook secret, "<t>.<raw body>")>`. For 24 hours after a rotation both secrets sign (two `v1` entries).',
    { type: 'string', pattern: '^t=[0-9]+(,v1=[0-9a-f]{64})+$' },
  ),
]);

const EVENTS_DESCRIPTION =
  'One event, POSTed as JSON: `secret.viewed` (each view), `secret.burned` (the last view spent, or the fifth wrong passcode), `secret.expired` (the time ran out before every view was used) or `secret.deleted`. ' +
  'Delivery is at least once: an answer other than 2xx, a timeout (`WEBHOOK_TIMEOUT_MS`) or a connection error is retried after each delay in `WEBHOOK_RETRY_DELAYS`, honouring `Retry-After`; redirects are not followed.';

/**
 * Documents the events the URL in the request body's `field` receives, as an OpenAPI callback
 * whose body is a `WebhookEvent`; `documentWebhookSignatures` adds the headers, which
 * `@ApiCallbacks` cannot say.
 */
export const ApiWebhookEvents = (field: string) =>
  applyDecorators(
    ApiExtraModels(WebhookEvent),
    ApiCallbacks({
      name: 'webhookEvent',
      callbackUrl: `{$request.body#/${field}}`,
      method: 'post',
      requestBody: { type: WebhookEvent },
      expectedResponse: { status: 200, description: 'Any 2xx answer acknowledges the event; its body is not read.' },
    }),
  );

/** Gives every `WebhookEvent` callback of the document its description and signature headers. */
export function documentWebhookSignatures(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, parameters: { ...document.components?.parameters, ...SIGNATURE_HEADERS } };
  const headers: ReferenceObject[] = Object.keys(SIGNATURE_HEADERS).map((name) => ({ $ref: `#/components/parameters/${name}` }));
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as OperationObject[]) {
      for (const callback of Object.values(operation?.callbacks ?? {}) as CallbackObject[]) {
        for (const delivery of Object.values(callback).flatMap((path) => Object.values(path as Record<string, OperationObject>))) {
          if (!sendsWebhookEvent(delivery)) continue;
          delivery.description = EVENTS_DESCRIPTION;
          delivery.parameters = headers;
        }
      }
    }
  }
  return document;
}

const sendsWebhookEvent = (operation: OperationObject) => {
  const schema = (operation.requestBody as RequestBodyObject | undefined)?.content['application/json']?.schema as
    ReferenceObject | undefined;
  return schema?.$ref === getSchemaPath(WebhookEvent);
};
