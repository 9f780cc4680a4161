import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A team's live secrets by team: GET /account's active count and the file storage check read
 * them without walking the team's tombstones, which are kept and only grow. Partial, so a
 * tombstone leaves it and a create pays one small entry.
 */
export class AddTeamActiveSecretsIndex1795620000000 implements MigrationInterface {
  name = 'AddTeamActiveSecretsIndex1795620000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "secrets_team_active_idx" ON "secrets" ("team_id") WHERE status = 'active'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "secrets_team_active_idx"`);
  }
}
