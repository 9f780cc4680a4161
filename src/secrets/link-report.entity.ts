import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Secret } from './secret.entity';

/** An abuse report on a link; one per reporter, so a single address cannot suspend a link alone. */
@Entity('link_reports')
@Index('link_reports_secret_reporter_key', ['secretId', 'reporterHash'], { unique: true })
export class LinkReport {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'secret_id', type: 'uuid' })
  secretId!: string;

  @ManyToOne(() => Secret, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'secret_id' })
  secret?: Secret;

  /** HMAC (under the keyring) of the reporter's network and the secret id: distinct per reporter, neither stored nor recoverable. */
  @Column({ name: 'reporter_hash', type: 'bytea' })
  reporterHash!: Buffer;

  @Column({ type: 'varchar', length: 1000 })
  reason!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
