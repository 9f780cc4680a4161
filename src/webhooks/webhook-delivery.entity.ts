import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Team } from '../teams/team.entity';
import type { WebhookEventData, WebhookEventType } from './webhook-event';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One attempt as the delivery log shows it. */
export interface DeliveryAttempt {
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/**
 * The outbox: one event for one destination, written in the same transaction as the event.
 * The worker sends rows whose `next_attempt_at` has come; `leased_until` marks a row some
 * instance is sending now, so no other takes it until that attempt has had its time.
 */
@Entity('webhook_deliveries')
// (team_id, the URL's authority, next_attempt_at) of pending rows, for the claim: an expression
// index, which TypeORM cannot declare, so it is left to its migration (AddPendingDestinationIndex).
@Index('webhook_deliveries_pending_idx', { synchronize: false })
@Index('webhook_deliveries_due_idx', ['nextAttemptAt'], { where: `status = 'pending'` })
@Index('webhook_deliveries_team_created_idx', ['teamId', 'createdAt'])
@Index('webhook_deliveries_secret_created_idx', ['secretId', 'createdAt'])
export class WebhookDelivery {
  @PrimaryColumn('uuid')
  id!: string;

  /** Shared by the deliveries of one event; the receiver's idempotency key (`webhook-id`). */
  @Column({ name: 'event_id', type: 'varchar', length: 40 })
  eventId!: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId!: string;

  @ManyToOne(() => Team, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;

  @Column({ name: 'secret_id', type: 'uuid' })
  secretId!: string;

  /** The team endpoint it goes to; NULL for the secret's own `webhook_url`. */
  @Column({ name: 'endpoint_id', type: 'uuid', nullable: true })
  endpointId!: string | null;

  @Column({ type: 'varchar', length: 32 })
  type!: WebhookEventType;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'jsonb' })
  data!: WebhookEventData;

  @Column({ type: 'varchar', length: 10, default: 'pending' })
  status!: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ name: 'last_duration_ms', type: 'integer', nullable: true })
  lastDurationMs!: number | null;

  /** The latest attempts, oldest first (at most 50). */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  history!: DeliveryAttempt[];

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'leased_until', type: 'timestamptz', nullable: true })
  leasedUntil!: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
