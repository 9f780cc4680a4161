import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An audit event is stamped when its row is written, not when its transaction began: a change
 * that waited on a lock would otherwise sort below the events committed during the wait. A new
 * default changes no row and takes the table's lock only for an instant.
 */
export class StampAuditEventsWhenWritten1795820000000 implements MigrationInterface {
  name = 'StampAuditEventsWhenWritten1795820000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_events" ALTER COLUMN "created_at" SET DEFAULT clock_timestamp()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_events" ALTER COLUMN "created_at" SET DEFAULT now()`);
  }
}
