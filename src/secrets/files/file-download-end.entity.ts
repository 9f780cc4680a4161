import { CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Downloads whose end was recorded (SecretRepository.endDownload), by the id each download took
 * as it started: a retried end finds its id here and uncounts no second reader. The purge forgets
 * them an hour after, long after the last retry (DownloadEnds).
 */
@Entity('file_download_ends')
@Index('file_download_ends_ended_at_idx', ['endedAt'])
export class FileDownloadEnd {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_file_download_ends' })
  id!: string;

  @CreateDateColumn({ name: 'ended_at', type: 'timestamptz' })
  endedAt!: Date;
}
