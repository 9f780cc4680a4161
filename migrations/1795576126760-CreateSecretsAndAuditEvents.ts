import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSecretsAndAuditEvents1795576126760 implements MigrationInterface {
  name = 'CreateSecretsAndAuditEvents1795576126760';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_events" ("id" uuid NOT NULL, "team_id" uuid NOT NULL, "type" character varying(40) NOT NULL, "actor_type" character varying(20) NOT NULL, "actor_id" uuid, "actor_name" character varying(100), "target_id" uuid, "ip" character varying(45), "country" character(2), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "audit_events_team_created_idx" ON "audit_events" ("team_id", "created_at") `);
    await queryRunner.query(
      `CREATE TABLE "secrets" ("id" uuid NOT NULL, "team_id" uuid, "created_by" uuid, "token_hash" bytea NOT NULL, "token_prefix" character varying(8) NOT NULL, "kind" character varying(10) NOT NULL, "label" character varying(100), "expire_mode" character varying(7) NOT NULL, "expire_value" integer NOT NULL, "views_remaining" integer, "views_count" integer NOT NULL DEFAULT '0', "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status" character varying(10) NOT NULL DEFAULT 'active', "destroyed_at" TIMESTAMP WITH TIME ZONE, "has_passcode" boolean NOT NULL DEFAULT false, "passcode_hash" text, "failed_attempts" integer NOT NULL DEFAULT '0', "ciphertext" bytea, "iv" bytea, "key_id" character varying(16), "content_bytes" integer NOT NULL, "allowed_countries" character(2) array, "webhook_url" text, "last_viewed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d4ff48ddba1883d4dc142b9c697" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "secrets_token_hash_key" ON "secrets" ("token_hash") `);
    await queryRunner.query(`CREATE INDEX "secrets_active_expiry_idx" ON "secrets" ("expires_at") WHERE status = 'active'`);
    await queryRunner.query(`CREATE INDEX "secrets_team_created_idx" ON "secrets" ("team_id", "created_at") `);
    await queryRunner.query(
      `ALTER TABLE "secrets" ADD CONSTRAINT "FK_f1fa5c5cf89596114f22d574b02" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP CONSTRAINT "FK_f1fa5c5cf89596114f22d574b02"`);
    await queryRunner.query(`DROP INDEX "public"."secrets_team_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."secrets_active_expiry_idx"`);
    await queryRunner.query(`DROP INDEX "public"."secrets_token_hash_key"`);
    await queryRunner.query(`DROP TABLE "secrets"`);
    await queryRunner.query(`DROP INDEX "public"."audit_events_team_created_idx"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
  }
}
