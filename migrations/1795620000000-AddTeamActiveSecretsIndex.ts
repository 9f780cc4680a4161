import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * A team's live secrets by team: GET /account's active count and the file storage check read
 * them without walking the team's tombstones, which are kept and only grow. Partial, so a
 * tombstone leaves it and a create pays one small entry. Built CONCURRENTLY, outside a
 * transaction, because the table it indexes is the hot one: creates and reveals go on meanwhile.
 */
export class AddTeamActiveSecretsIndex1795620000000 implements MigrationInterface {
  name = 'AddTeamActiveSecretsIndex1795620000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(queryRunner, 'secrets_team_active_idx', `"secrets" ("team_id") WHERE status = 'active'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "secrets_team_active_idx"`);
  }
}
