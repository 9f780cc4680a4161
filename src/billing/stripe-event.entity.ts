import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Stripe event ids already processed: a replayed event changes nothing. */
@Entity('stripe_events')
export class StripeEvent {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
