import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * Files whose secret the orphan purge has not yet seen, by their first part's time: the purge
 * looks at those older than an hour, not at every part of every file, and marks the first part
 * once it finds the file's secret. A constant default, so no table rewrite; the index is built
 * CONCURRENTLY, outside a transaction, because uploads write to this table.
 */
export class AddFilePartOwnerSeen1795810000000 implements MigrationInterface {
  name = 'AddFilePartOwnerSeen1795810000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secret_file_parts" ADD COLUMN IF NOT EXISTS "owner_seen" boolean NOT NULL DEFAULT false`);
    await createIndexConcurrently(
      queryRunner,
      'secret_file_parts_unowned_idx',
      `"secret_file_parts" ("created_at") WHERE seq = 0 AND NOT owner_seen`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "secret_file_parts_unowned_idx"`);
    await queryRunner.query(`ALTER TABLE "secret_file_parts" DROP COLUMN "owner_seen"`);
  }
}
