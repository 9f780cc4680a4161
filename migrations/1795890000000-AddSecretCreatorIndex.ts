import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * Finds the secrets a user made, for their account's (or a service account's) deletion, which
 * forgets them as creator in its transaction: without it that UPDATE reads every secret while the
 * transaction holds the user's row. A team-scoped index would not serve a person, whose secrets
 * may lie in teams they have since left. Partial: anonymous secrets have no creator. A create
 * writes one more index entry; a reveal's update leaves `created_by` as it is, so stays HOT.
 * Built and dropped CONCURRENTLY, outside a transaction: the table is the hot one.
 */
export class AddSecretCreatorIndex1795890000000 implements MigrationInterface {
  name = 'AddSecretCreatorIndex1795890000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(queryRunner, 'secrets_created_by_idx', `"secrets" ("created_by") WHERE created_by IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "secrets_created_by_idx"`);
  }
}
