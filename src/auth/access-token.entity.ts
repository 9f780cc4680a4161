import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Team } from '../teams/team.entity';
import { User } from './user.entity';
import type { Ability } from './ability';
import type { TokenMode } from './pat';

@Entity('access_tokens')
@Index('access_tokens_team_user_idx', ['teamId', 'userId'])
export class AccessToken {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId!: string;

  // Named, not imported: auth depends on no feature module, and the foreign key is all it needs.
  @ManyToOne('Team', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** SHA-256 of the whole token; the token itself is never stored. */
  @Index('access_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash!: Buffer;

  @Column({ type: 'varchar', length: 24 })
  prefix!: string;

  @Column({ type: 'text', array: true })
  abilities!: Ability[];

  @Column({ type: 'varchar', length: 4 })
  mode!: TokenMode;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
