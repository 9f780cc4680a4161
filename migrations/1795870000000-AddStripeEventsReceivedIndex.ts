import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * Finds the Stripe event ids past their retention without reading the whole table: the purge,
 * every PURGE_INTERVAL_SECONDS, deletes them. Built and dropped CONCURRENTLY, outside a
 * transaction: the webhook keeps recording events while it is built.
 */
export class AddStripeEventsReceivedIndex1795870000000 implements MigrationInterface {
  name = 'AddStripeEventsReceivedIndex1795870000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(queryRunner, 'stripe_events_received_at_idx', `"stripe_events" ("received_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "stripe_events_received_at_idx"`);
  }
}
