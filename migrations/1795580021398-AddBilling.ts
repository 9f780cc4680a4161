import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddBilling1795580021398 implements MigrationInterface {
  name = 'AddBilling1795580021398';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "stripe_events" ("id" character varying(255) NOT NULL, "type" character varying(100) NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d3247bd5fc3f66b6982bbcdd897" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`ALTER TABLE "teams" ADD "billing_status" character varying(32)`);
    await queryRunner.query(`ALTER TABLE "teams" ADD "billing_event_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "billing_event_at"`);
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "billing_status"`);
    await queryRunner.query(`DROP TABLE "stripe_events"`);
  }
}
