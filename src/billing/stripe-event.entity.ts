import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** Stripe event ids already processed: a replayed event changes nothing. */
@Entity('stripe_events')
@Index('stripe_events_received_at_idx', ['receivedAt'])
export class StripeEvent {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
