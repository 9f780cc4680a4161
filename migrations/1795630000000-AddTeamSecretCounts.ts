import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A team's secrets created per month, counted as they are made (SecretCount), so GET /account
 * and GET /billing no longer count the month's secrets row by row: a team that creates a million
 * a month made that a walk over a million index entries on every call. The months so far are
 * counted once here, into shard 0. Secrets an older instance creates while this runs (a rolling
 * deploy) are not counted: usage can read that much low for the month of the upgrade.
 */
export class AddTeamSecretCounts1795630000000 implements MigrationInterface {
  name = 'AddTeamSecretCounts1795630000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "team_secret_counts" ("team_id" uuid NOT NULL, "period" date NOT NULL, "shard" smallint NOT NULL, "created" bigint NOT NULL, CONSTRAINT "PK_d8483d4106aa2c2375cae4d40e0" PRIMARY KEY ("team_id", "period", "shard"))`,
    );
    await queryRunner.query(
      `INSERT INTO "team_secret_counts" ("team_id", "period", "shard", "created")
       SELECT team_id, date_trunc('month', created_at AT TIME ZONE 'UTC')::date, 0, count(*)
         FROM secrets WHERE team_id IS NOT NULL GROUP BY 1, 2`,
    );
    // After the count: the foreign key locks teams until the migration commits.
    await queryRunner.query(
      `ALTER TABLE "team_secret_counts" ADD CONSTRAINT "FK_12ec717cb07154cb6c0da1da002" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "team_secret_counts"`);
  }
}
