import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Team } from '../teams/team.entity';

/**
 * How many secrets a team created in a calendar month (UTC), and how many bytes of content its
 * text and encrypted ones stored, as created or replaced by a PUT (the plan's monthly content),
 * for GET /account's usage: counted as
 * they are made, so reading it never walks the month's secrets. A create adds to the shard of its
 * database connection (backend pid modulo 64), so concurrent creates of one team seldom wait on
 * one row; the count is the sum of the shards.
 */
@Entity('team_secret_counts')
export class SecretCount {
  @PrimaryColumn({ name: 'team_id', type: 'uuid' })
  teamId!: string;

  /** The month's first day. */
  @PrimaryColumn({ type: 'date' })
  period!: string;

  @PrimaryColumn({ type: 'smallint' })
  shard!: number;

  @Column({ type: 'bigint' })
  created!: string;

  @Column({ name: 'content_bytes', type: 'bigint', default: 0 })
  contentBytes!: string;

  @ManyToOne(() => Team, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;
}
