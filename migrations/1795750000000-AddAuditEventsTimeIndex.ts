import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * Finds the audit events past AUDIT_RETENTION_DAYS without walking the whole trail. BRIN: the
 * table only grows in time order, so a few pages of summaries serve it, and a create or a reveal
 * (each writes an event) pays almost nothing for it, where a b-tree would cost them an entry.
 * Built CONCURRENTLY, outside a transaction: the hot paths write to this table.
 */
export class AddAuditEventsTimeIndex1795750000000 implements MigrationInterface {
  name = 'AddAuditEventsTimeIndex1795750000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(queryRunner, 'audit_events_created_brin', `"audit_events" USING brin ("created_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "audit_events_created_brin"`);
  }
}
