import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * What a create under an `Idempotency-Key` keeps to answer its retries: the key, a keyed digest
 * of the request, and the link sealed under the keyring. New nullable columns: no table rewrite.
 * The unique index holds the keys of the last 24 hours (the purge clears older ones); partial,
 * so creates without a key never touch it. Built CONCURRENTLY, outside a transaction, because
 * the table it indexes is the hot one.
 */
export class AddIdempotentCreates1795700000000 implements MigrationInterface {
  name = 'AddIdempotentCreates1795700000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "secrets" ADD COLUMN IF NOT EXISTS "idempotency_key" character varying(255), ADD COLUMN IF NOT EXISTS "idempotency_digest" bytea, ADD COLUMN IF NOT EXISTS "idempotency_link" bytea, ADD COLUMN IF NOT EXISTS "idempotency_keyring_id" character varying(16)`,
    );
    await createIndexConcurrently(
      queryRunner,
      'secrets_idempotency_key',
      `"secrets" ("team_id", "created_by", "idempotency_key") WHERE idempotency_key IS NOT NULL`,
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "secrets_idempotency_key"`);
    await queryRunner.query(
      `ALTER TABLE "secrets" DROP COLUMN "idempotency_keyring_id", DROP COLUMN "idempotency_link", DROP COLUMN "idempotency_digest", DROP COLUMN "idempotency_key"`,
    );
  }
}
