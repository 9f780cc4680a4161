import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

const PENDING_INDEX = `"webhook_deliveries" ("team_id", (coalesce(lower(substring(url from '^[^:/?#]+://([^/?#]*)')), '')), "next_attempt_at") WHERE status = 'pending'`;

/**
 * A delivery's URL holds what the secret's own `webhook_url` (text) holds. Until the stored form's
 * length was checked, a URL the parser percent-encoded past 2048 characters was accepted, and then
 * every statement queueing that secret's events failed on varchar(2048): its reveals, its
 * deletion, and the purge's whole batch of expired secrets. Turning varchar into text rewrites no
 * row, but the pending index's expression reads the column and would be rebuilt under the ALTER's
 * lock: it is dropped and built again CONCURRENTLY around it, as reveals write to this table.
 */
export class WidenWebhookDeliveryUrls1795900000000 implements MigrationInterface {
  name = 'WidenWebhookDeliveryUrls1795900000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "webhook_deliveries_pending_idx"`);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" ALTER COLUMN "url" TYPE text`);
    await createIndexConcurrently(queryRunner, 'webhook_deliveries_pending_idx', PENDING_INDEX);
  }

  /**
   * Refused, changing nothing, while a delivery's URL is longer than 2048 characters. text to
   * varchar(2048) checks every row: the table and its indexes are rewritten under the ALTER's lock.
   */
  public async down(queryRunner: QueryRunner): Promise<void> {
    const longer = (await queryRunner.query(`SELECT 1 FROM "webhook_deliveries" WHERE char_length("url") > 2048 LIMIT 1`)) as unknown[];
    if (longer.length) throw new Error('A webhook delivery has a URL longer than 2048 characters: varchar(2048) cannot hold it.');
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "webhook_deliveries_pending_idx"`);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" ALTER COLUMN "url" TYPE character varying(2048)`);
    await createIndexConcurrently(queryRunner, 'webhook_deliveries_pending_idx', PENDING_INDEX);
  }
}
