import { MigrationInterface, QueryRunner } from 'typeorm';

const FOREIGN_KEY = 'FK_f1fa5c5cf89596114f22d574b02';

/**
 * A team's secret no longer refers to its team by a foreign key. The key's check locked the
 * team's row (KEY SHARE) in every create, so concurrent creates in one team all wrote to that
 * one row: a WAL record each, and a multixact whenever two were in flight. A team's deletion
 * removes its secrets itself (TeamDeletionService.erase), and a create racing it either fails on
 * the month's count, whose foreign key stays, or commits before the deletion's last sweep. Older
 * builds relied on the cascade: see README, On PostgreSQL, for what one deleting a team during
 * the rollout may leave. Dropping a constraint takes an ACCESS EXCLUSIVE lock on both tables for
 * an instant and rewrites nothing.
 */
export class DropSecretsTeamForeignKey1795890000000 implements MigrationInterface {
  name = 'DropSecretsTeamForeignKey1795890000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP CONSTRAINT IF EXISTS "FK_f1fa5c5cf89596114f22d574b02"`);
  }

  /**
   * The key comes back NOT VALID, so new rows are checked and the cascade works at once, then the
   * secrets whose team is gone are deleted (with their file parts) and the key validated, a scan
   * that holds up no writes.
   */
  public async down(queryRunner: QueryRunner): Promise<void> {
    const added = (await queryRunner.query(`SELECT 1 FROM pg_constraint WHERE conname = $1`, [FOREIGN_KEY])) as unknown[];
    if (!added.length) {
      await queryRunner.query(
        `ALTER TABLE "secrets" ADD CONSTRAINT "${FOREIGN_KEY}" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION NOT VALID`,
      );
    }
    await queryRunner.query(
      `WITH gone AS (DELETE FROM "secrets" s WHERE s."team_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "teams" t WHERE t."id" = s."team_id") RETURNING s."id")
       DELETE FROM "secret_file_parts" WHERE "secret_id" IN (SELECT "id" FROM gone)`,
    );
    await queryRunner.query(`ALTER TABLE "secrets" VALIDATE CONSTRAINT "${FOREIGN_KEY}"`);
  }
}
