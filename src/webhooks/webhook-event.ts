export const WEBHOOK_EVENT_TYPES = ['secret.viewed', 'secret.burned', 'secret.expired', 'secret.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an event says about its secret: never content, never a link token. */
export interface WebhookEventData {
  secret_id: string;
  label: string | null;
  views_remaining: number | null;
  viewer_country: string | null;
}

/** The body every destination receives, keys in this order. */
export function webhookBody(eventId: string, type: string, createdAt: Date, data: WebhookEventData): string {
  return JSON.stringify({
    id: eventId,
    type,
    created_at: createdAt.toISOString(),
    data: { secret_id: data.secret_id, label: data.label, views_remaining: data.views_remaining, viewer_country: data.viewer_country },
  });
}
