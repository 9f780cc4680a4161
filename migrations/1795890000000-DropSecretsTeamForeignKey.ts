import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A team's secret no longer refers to its team by a foreign key. The key's check locked the
 * team's row (KEY SHARE) in every create, so concurrent creates in one team all wrote to that
 * one row: a WAL record each, and a multixact whenever two were in flight. A team's deletion
 * removes its secrets itself (TeamDeletionService.erase), and a create racing it still fails on
 * the month's count, whose foreign key stays (see erase). Older builds, which relied on the
 * cascade, delete a team's secrets themselves too, before and under the team's lock; a create
 * that commits between their last sweep and the team's row going leaves a secret of no team,
 * unreachable (its team's tokens went with it) and purged at its expiry. Dropping a constraint
 * takes an ACCESS EXCLUSIVE lock on both tables for an instant and rewrites nothing.
 */
export class DropSecretsTeamForeignKey1795890000000 implements MigrationInterface {
  name = 'DropSecretsTeamForeignKey1795890000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP CONSTRAINT "FK_f1fa5c5cf89596114f22d574b02"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The key cannot come back over a secret whose team is gone: those went with their team.
    await queryRunner.query(
      `WITH gone AS (DELETE FROM "secrets" s WHERE s."team_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "teams" t WHERE t."id" = s."team_id") RETURNING s."id")
       DELETE FROM "secret_file_parts" WHERE "secret_id" IN (SELECT "id" FROM gone)`,
    );
    await queryRunner.query(
      `ALTER TABLE "secrets" ADD CONSTRAINT "FK_f1fa5c5cf89596114f22d574b02" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }
}
