import { MigrationInterface, QueryRunner } from 'typeorm';

/** Counts the teams a user has made (at most 20 each), without a walk over every team. */
export class AddTeamCreatorIndex1795680000000 implements MigrationInterface {
  name = 'AddTeamCreatorIndex1795680000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "teams_created_by_idx" ON "teams" ("created_by") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."teams_created_by_idx"`);
  }
}
