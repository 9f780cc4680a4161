import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddTeamWebhookSecrets1795579154678 implements MigrationInterface {
  name = 'AddTeamWebhookSecrets1795579154678';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" ADD "webhook_secret" character varying(80)`);
    // Teams that exist already get a secret too: 244 bits from two v4 UUIDs (gen_random_uuid is built in).
    await queryRunner.query(
      `UPDATE "teams" SET "webhook_secret" = 'whsec_' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')`,
    );
    await queryRunner.query(`ALTER TABLE "teams" ALTER COLUMN "webhook_secret" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "teams" ADD "webhook_secret_rotated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "webhook_secret_rotated_at"`);
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "webhook_secret"`);
  }
}
