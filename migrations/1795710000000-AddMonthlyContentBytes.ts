import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a team's text and encrypted secrets of a month hold, counted with the month's creates, so
 * the plan's monthly content can bound the disk they take. The month of the upgrade is counted
 * once here from its secrets so far (their `content_bytes` outlive the material), into shard 0.
 */
export class AddMonthlyContentBytes1795710000000 implements MigrationInterface {
  name = 'AddMonthlyContentBytes1795710000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "team_secret_counts" ADD "content_bytes" bigint NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `INSERT INTO "team_secret_counts" AS c ("team_id", "period", "shard", "created", "content_bytes")
       SELECT team_id, date_trunc('month', now() AT TIME ZONE 'UTC')::date, 0, 0, sum(content_bytes)
         FROM secrets
        WHERE team_id IS NOT NULL AND kind <> 'file' AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
        GROUP BY team_id
       ON CONFLICT ("team_id", "period", "shard") DO UPDATE SET "content_bytes" = EXCLUDED."content_bytes"`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "team_secret_counts" DROP COLUMN "content_bytes"`);
  }
}
