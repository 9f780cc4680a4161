import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The downloads whose end was recorded, so that a retried end (its first try went unanswered
 * yet ran) uncounts no second reader, which could remove a file's bytes under another download
 * still reading them. A new table, which nothing writes to until this release: its index is
 * built in the same transaction, no CONCURRENTLY needed, and no other table is locked.
 */
export class AddFileDownloadEnds1795880000000 implements MigrationInterface {
  name = 'AddFileDownloadEnds1795880000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "file_download_ends" ("id" uuid NOT NULL, "ended_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_file_download_ends" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "file_download_ends_ended_at_idx" ON "file_download_ends" ("ended_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "file_download_ends"`);
  }
}
