import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Team } from '../../teams/team.entity';

/**
 * A file secret's stored bytes (OLF1), in parts of up to 1 MiB written in order. Parts exist
 * before their secret does (the secret row is written last, when the upload is complete), so
 * there is no foreign key to it; the purge removes those of uploads whose secret never came.
 */
@Entity('secret_file_parts')
@Index('secret_file_parts_unowned_idx', ['createdAt'], { where: `seq = 0 AND NOT owner_seen` })
@Index('secret_file_parts_team_idx', ['teamId'])
export class FilePart {
  @PrimaryColumn({ name: 'secret_id', type: 'uuid' })
  secretId!: string;

  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  /**
   * The uploading team: its deletion takes the parts of its uploads under way (ON DELETE
   * CASCADE), and their next part finds it gone. NULL on parts written before the column was.
   */
  @Column({ name: 'team_id', type: 'uuid', nullable: true })
  teamId!: string | null;

  @ManyToOne(() => Team, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: Team;

  @Column({ type: 'bytea' })
  data!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** On the first part: the orphan purge has found the file's secret, so it need not look again. */
  @Column({ name: 'owner_seen', type: 'boolean', default: false })
  ownerSeen!: boolean;
}
