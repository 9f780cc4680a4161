import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who made each team, so that a user's personal team is theirs by record. It used to be told by
 * the earliest personal-team membership, so a user removed from their own personal team was given
 * a token for another user's personal team that had added them. Existing teams take their
 * earliest remaining member, who made the team unless the maker has since left.
 */
export class AddTeamCreators1795640000000 implements MigrationInterface {
  name = 'AddTeamCreators1795640000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" ADD "created_by" uuid`);
    await queryRunner.query(
      `UPDATE "teams" t SET "created_by" = (
         SELECT m.user_id FROM team_members m WHERE m.team_id = t.id ORDER BY m.created_at, m.user_id LIMIT 1)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "created_by"`);
  }
}
