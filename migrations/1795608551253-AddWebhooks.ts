import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: team endpoints, the delivery outbox, and the teams' signing secrets, now sealed
 * with the keyring. The clear `teams.webhook_secret` goes: no webhook was ever sent with it (delivery
 * did not exist), and its format was not a valid Standard Webhooks secret, so each team gets a new
 * one on first use (GET /team/webhook-secret or its first delivery).
 */
export class AddWebhooks1795608551253 implements MigrationInterface {
  name = 'AddWebhooks1795608551253';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "webhook_secret_rotated_at"`);
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "webhook_secret"`);
    await queryRunner.query(
      `CREATE TABLE "team_webhook_secrets" ("team_id" uuid NOT NULL, "key_id" character varying(16) NOT NULL, "iv" bytea NOT NULL, "ciphertext" bytea NOT NULL, "previous_key_id" character varying(16), "previous_iv" bytea, "previous_ciphertext" bytea, "previous_expires_at" TIMESTAMP WITH TIME ZONE, "rotated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1231d89ceb3ddd298812cbcd8a5" PRIMARY KEY ("team_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL, "event_id" character varying(40) NOT NULL, "team_id" uuid NOT NULL, "secret_id" uuid NOT NULL, "endpoint_id" uuid, "type" character varying(32) NOT NULL, "url" character varying(2048) NOT NULL, "data" jsonb NOT NULL, "status" character varying(10) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "last_status_code" integer, "last_error" character varying(500), "last_attempt_at" TIMESTAMP WITH TIME ZONE, "last_duration_ms" integer, "history" jsonb NOT NULL DEFAULT '[]', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "leased_until" TIMESTAMP WITH TIME ZONE, "delivered_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "webhook_deliveries_secret_created_idx" ON "webhook_deliveries" ("secret_id", "created_at") `);
    await queryRunner.query(`CREATE INDEX "webhook_deliveries_team_created_idx" ON "webhook_deliveries" ("team_id", "created_at") `);
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" ("next_attempt_at") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_endpoints" ("id" uuid NOT NULL, "team_id" uuid NOT NULL, "url" character varying(2048) NOT NULL, "events" text array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_054c4cfb95223732f5939d2d546" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "webhook_endpoints_team_idx" ON "webhook_endpoints" ("team_id") `);
    await queryRunner.query(
      `ALTER TABLE "team_webhook_secrets" ADD CONSTRAINT "FK_1231d89ceb3ddd298812cbcd8a5" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_396fff5fa8cb75077a9a7c21043" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "FK_f8e5ab27f2f5b87cb33fa5f0556" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_endpoints" DROP CONSTRAINT "FK_f8e5ab27f2f5b87cb33fa5f0556"`);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_396fff5fa8cb75077a9a7c21043"`);
    await queryRunner.query(`ALTER TABLE "team_webhook_secrets" DROP CONSTRAINT "FK_1231d89ceb3ddd298812cbcd8a5"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_endpoints_team_idx"`);
    await queryRunner.query(`DROP TABLE "webhook_endpoints"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_deliveries_due_idx"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_deliveries_team_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_deliveries_secret_created_idx"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "team_webhook_secrets"`);
    await queryRunner.query(
      `ALTER TABLE "teams" ADD "webhook_secret" character varying(80) NOT NULL DEFAULT 'whsec_' || replace(gen_random_uuid()::text, '-', '')`,
    );
    await queryRunner.query(`ALTER TABLE "teams" ALTER COLUMN "webhook_secret" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "teams" ADD "webhook_secret_rotated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
  }
}
