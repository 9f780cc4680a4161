import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * Ended file secrets whose bytes a download is still reading, by team: they count towards the
 * team's file storage until the last download ends, and this finds them without walking the
 * team's tombstones. Partial and nearly always empty. Built CONCURRENTLY, outside a transaction,
 * because the table it indexes is the hot one.
 */
export class AddTeamFilesBeingReadIndex1795690000000 implements MigrationInterface {
  name = 'AddTeamFilesBeingReadIndex1795690000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(
      queryRunner,
      'secrets_team_being_read_idx',
      `"secrets" ("team_id") WHERE status <> 'active' AND file_readers > 0`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "secrets_team_being_read_idx"`);
  }
}
