import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Team } from '../teams/team.entity';

/**
 * A team's webhook signing secret, sealed with the keyring (bound to the team), and for a day
 * after a rotation the one it replaced, which still signs so receivers can roll over.
 */
@Entity('team_webhook_secrets')
export class TeamWebhookSecret {
  @PrimaryColumn({ name: 'team_id', type: 'uuid' })
  teamId!: string;

  @OneToOne(() => Team, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;

  @Column({ name: 'key_id', type: 'varchar', length: 16 })
  keyId!: string;

  @Column({ type: 'bytea' })
  iv!: Buffer;

  @Column({ type: 'bytea' })
  ciphertext!: Buffer;

  @Column({ name: 'previous_key_id', type: 'varchar', length: 16, nullable: true })
  previousKeyId!: string | null;

  @Column({ name: 'previous_iv', type: 'bytea', nullable: true })
  previousIv!: Buffer | null;

  @Column({ name: 'previous_ciphertext', type: 'bytea', nullable: true })
  previousCiphertext!: Buffer | null;

  @Column({ name: 'previous_expires_at', type: 'timestamptz', nullable: true })
  previousExpiresAt!: Date | null;

  @Column({ name: 'rotated_at', type: 'timestamptz', default: () => 'now()' })
  rotatedAt!: Date;
}
