import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

const FOREIGN_KEY = 'FK_1e0f89b2737b461e748997d81ca';

/**
 * The uploading team on each file part, its foreign key ON DELETE CASCADE: a team's deletion
 * takes the parts of its uploads under way, and their next part finds the team gone. Not
 * backfilled, left NULL: the parts of existing secrets go with their secrets as before, and those
 * of uploads under way as this runs (an older build's) end within the transfer limit or go with
 * the purge's orphans; filling them would write a new version of every row for nothing. Built
 * without a transaction, as uploads write to this table: the column has no default (no rewrite),
 * the index is built CONCURRENTLY (the cascade's lookup) and the key is added NOT VALID, then
 * validated, so no scan holds up writes to the parts or the teams.
 */
export class AddFilePartTeams1795830000000 implements MigrationInterface {
  name = 'AddFilePartTeams1795830000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secret_file_parts" ADD COLUMN IF NOT EXISTS "team_id" uuid`);
    await createIndexConcurrently(queryRunner, 'secret_file_parts_team_idx', `"secret_file_parts" ("team_id")`);
    // A run cut short after the key was added runs again from the top.
    const added = (await queryRunner.query(`SELECT 1 FROM pg_constraint WHERE conname = $1`, [FOREIGN_KEY])) as unknown[];
    if (!added.length) {
      await queryRunner.query(
        `ALTER TABLE "secret_file_parts" ADD CONSTRAINT "${FOREIGN_KEY}" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION NOT VALID`,
      );
    }
    await queryRunner.query(`ALTER TABLE "secret_file_parts" VALIDATE CONSTRAINT "${FOREIGN_KEY}"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secret_file_parts" DROP CONSTRAINT IF EXISTS "${FOREIGN_KEY}"`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "secret_file_parts_team_idx"`);
    await queryRunner.query(`ALTER TABLE "secret_file_parts" DROP COLUMN IF EXISTS "team_id"`);
  }
}
