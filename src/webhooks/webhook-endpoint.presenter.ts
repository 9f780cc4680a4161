import type { WebhookEndpoint } from './webhook-endpoint.entity';
import type { WebhookEndpointResponse } from './webhook-endpoint.response';

export function presentWebhookEndpoint(endpoint: WebhookEndpoint): WebhookEndpointResponse {
  return { id: endpoint.id, url: endpoint.url, events: endpoint.events, created_at: endpoint.createdAt.toISOString() };
}
