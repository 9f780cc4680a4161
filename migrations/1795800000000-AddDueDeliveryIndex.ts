import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * Pending deliveries by due time, again: the claim reads the due ones first, so a member's
 * deliveries waiting out their retries to many destinations no longer cost every claim a probe
 * each (webhook_deliveries_pending_idx stays, for the destinations it may send to). Built and
 * dropped CONCURRENTLY, outside a transaction: reveals write to this table.
 */
export class AddDueDeliveryIndex1795800000000 implements MigrationInterface {
  name = 'AddDueDeliveryIndex1795800000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      queryRunner,
      'webhook_deliveries_due_idx',
      `"webhook_deliveries" ("next_attempt_at") WHERE status = 'pending'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "webhook_deliveries_due_idx"`);
  }
}
