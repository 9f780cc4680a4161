import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * Pending deliveries by team and destination (the URL's host and port), oldest due first: the
 * claim skips from one pair to the next and reads a few rows of each it may send to, so a backlog
 * behind a busy destination is no longer walked on every claim. It replaces the index of pending
 * rows by due time, which only that walk used. Built and dropped CONCURRENTLY, outside a
 * transaction: reveals write to this table.
 */
export class AddPendingDestinationIndex1795760000000 implements MigrationInterface {
  name = 'AddPendingDestinationIndex1795760000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      queryRunner,
      'webhook_deliveries_pending_idx',
      `"webhook_deliveries" ("team_id", (coalesce(lower(substring(url from '^[^:/?#]+://([^/?#]*)')), '')), "next_attempt_at") WHERE status = 'pending'`,
    );
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "webhook_deliveries_due_idx"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      queryRunner,
      'webhook_deliveries_due_idx',
      `"webhook_deliveries" ("next_attempt_at") WHERE status = 'pending'`,
    );
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "webhook_deliveries_pending_idx"`);
  }
}
