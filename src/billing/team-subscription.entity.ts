import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Team } from '../teams/team.entity';
import type { PlanName } from './plans';

/**
 * Each Stripe subscription of a team as its newest event left it. A team's plan is the best plan
 * among them, so cancelling one subscription leaves a team the plan another one still pays for,
 * and events are ordered per subscription: an older event of one subscription changes nothing.
 */
@Entity('team_subscriptions')
@Index('team_subscriptions_team_idx', ['teamId'])
export class TeamSubscription {
  @PrimaryColumn({ name: 'subscription_id', type: 'varchar', length: 255 })
  subscriptionId!: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId!: string;

  /** What the subscription pays for now: free unless it is active or trialing on a known price. */
  @Column({ type: 'varchar', length: 20 })
  plan!: PlanName;

  @Column({ type: 'varchar', length: 32 })
  status!: string;

  /** The `created` (whole seconds) of the event that last changed the row. */
  @Column({ name: 'event_at', type: 'timestamptz' })
  eventAt!: Date;

  /** Orders events of the same second as Stripe makes them: created 0, updated 1, deleted 2. */
  @Column({ name: 'event_rank', type: 'smallint' })
  eventRank!: number;

  // By name: billing may not import teams' values (teams imports billing).
  @ManyToOne('Team', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;
}
