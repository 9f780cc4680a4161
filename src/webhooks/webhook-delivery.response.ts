import { ApiProperty } from '@nestjs/swagger';
import { DELIVERY_STATUSES, DeliveryStatus } from './webhook-delivery.entity';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-event';

export class DeliveryAttemptResponse {
  @ApiProperty({ type: 'integer' }) attempt!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ nullable: true, type: 'integer' }) status_code!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ type: 'integer' }) duration_ms!: number;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'evt_…', description: 'Shared by the deliveries of one event; sent as webhook-id' }) event_id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) type!: WebhookEventType;
  @ApiProperty({ format: 'uuid' }) secret_id!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: "The team endpoint; null for the secret's webhook_url" })
  endpoint_id!: string | null;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: DeliveryStatus;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ nullable: true, type: 'integer' }) last_status_code!: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_attempt_at!: string | null;
  @ApiProperty({ nullable: true, type: 'integer' }) last_duration_ms!: number | null;
  @ApiProperty({ type: [DeliveryAttemptResponse], description: 'The latest attempts (up to 50), oldest first' })
  history!: DeliveryAttemptResponse[];
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) next_attempt_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) delivered_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}
