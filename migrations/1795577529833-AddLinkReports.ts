import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddLinkReports1795577529833 implements MigrationInterface {
  name = 'AddLinkReports1795577529833';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "link_reports" ("id" uuid NOT NULL, "secret_id" uuid NOT NULL, "reporter_hash" bytea NOT NULL, "reason" character varying(1000) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_442a08acd1b4f82909475de7eb3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "link_reports_secret_reporter_key" ON "link_reports" ("secret_id", "reporter_hash") `);
    await queryRunner.query(`ALTER TABLE "secrets" ADD "suspended_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `ALTER TABLE "link_reports" ADD CONSTRAINT "FK_59be7bcb47f90cff227aacfec60" FOREIGN KEY ("secret_id") REFERENCES "secrets"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "link_reports" DROP CONSTRAINT "FK_59be7bcb47f90cff227aacfec60"`);
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "suspended_at"`);
    await queryRunner.query(`DROP INDEX "public"."link_reports_secret_reporter_key"`);
    await queryRunner.query(`DROP TABLE "link_reports"`);
  }
}
