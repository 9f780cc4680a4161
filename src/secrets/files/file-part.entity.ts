import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A file secret's stored bytes (OLF1), in parts of up to 1 MiB written in order. Parts exist
 * before their secret does (the secret row is written last, when the upload is complete), so
 * there is no foreign key; the purge removes parts that no active secret owns.
 */
@Entity('secret_file_parts')
export class FilePart {
  @PrimaryColumn({ name: 'secret_id', type: 'uuid' })
  secretId!: string;

  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'bytea' })
  data!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
