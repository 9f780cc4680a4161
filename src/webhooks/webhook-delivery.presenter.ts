import type { WebhookDelivery } from './webhook-delivery.entity';
import type { WebhookDeliveryResponse } from './webhook-delivery.response';

export function presentWebhookDelivery(delivery: WebhookDelivery): WebhookDeliveryResponse {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    type: delivery.type,
    secret_id: delivery.secretId,
    endpoint_id: delivery.endpointId,
    url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    last_attempt_at: delivery.lastAttemptAt?.toISOString() ?? null,
    last_duration_ms: delivery.lastDurationMs,
    history: delivery.history,
    next_attempt_at: delivery.status === 'pending' ? (delivery.nextAttemptAt?.toISOString() ?? null) : null,
    delivered_at: delivery.deliveredAt?.toISOString() ?? null,
    created_at: delivery.createdAt.toISOString(),
  };
}
