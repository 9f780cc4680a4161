import { ApiProperty } from '@nestjs/swagger';

export const WEBHOOK_EVENT_TYPES = ['secret.viewed', 'secret.burned', 'secret.expired', 'secret.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an event says about its secret: never content, never a link token. */
export class WebhookEventData {
  @ApiProperty({ format: 'uuid' }) secret_id!: string;
  @ApiProperty({ type: String, nullable: true }) label!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'After the event; null for minutes secrets' })
  views_remaining!: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'ISO 3166-1 alpha-2 code of the viewer whose view or wrong passcode made the event; null for the others, or when unknown',
  })
  viewer_country!: string | null;
}

/** The body every destination receives (OpenAPI's `WebhookEvent`, sent as the operations' callbacks). */
export class WebhookEvent {
  @ApiProperty({ example: 'evt_…', description: 'The event’s id, shared by its deliveries and their attempts; sent as webhook-id' })
  id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) type!: WebhookEventType;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: WebhookEventData }) data!: WebhookEventData;
}

/** The body as it is signed and sent, keys in this order. */
export function webhookBody(eventId: string, type: WebhookEventType, createdAt: Date, data: WebhookEventData): string {
  const event: WebhookEvent = {
    id: eventId,
    type,
    created_at: createdAt.toISOString(),
    data: { secret_id: data.secret_id, label: data.label, views_remaining: data.views_remaining, viewer_country: data.viewer_country },
  };
  return JSON.stringify(event);
}
