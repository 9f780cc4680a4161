import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * AddTeamCreators gave personal teams their earliest remaining member as maker too: once a
 * personal team's user had left it, the member it had added first became its maker, beside their
 * own (or instead of it, when they had left theirs too). Such a user's token without `team_id`,
 * their account's deletion and the rule that keeps a personal team's user in it could take the
 * other team for theirs. A personal team's maker is the member registered with it: registration
 * has always written the user and the team in one transaction, so they share `created_at`. Every
 * personal team is given that member (back), or none: one whose user left it (and was not added
 * back) is no one's personal team (see TeamsService.assertDeletable). Two teams sharing a user's
 * `created_at` to the microsecond would both name them; the later by id is then left without one.
 */
export class RepairPersonalTeamCreators1795850000000 implements MigrationInterface {
  name = 'RepairPersonalTeamCreators1795850000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "teams" t SET "created_by" = registered.user_id
         FROM (SELECT p.id,
                      (SELECT u.id FROM users u JOIN team_members m ON m.team_id = p.id AND m.user_id = u.id
                        WHERE u.created_at = p.created_at ORDER BY u.id LIMIT 1) AS user_id
                 FROM teams p WHERE p.personal) registered
        WHERE t.id = registered.id AND t.created_by IS DISTINCT FROM registered.user_id`,
    );
    await queryRunner.query(
      `UPDATE "teams" SET "created_by" = NULL
        WHERE "id" IN (
          SELECT id FROM (
            SELECT id, row_number() OVER (PARTITION BY created_by ORDER BY id) AS rank
              FROM teams WHERE personal AND created_by IS NOT NULL) ranked
           WHERE rank > 1)`,
    );
  }

  public async down(): Promise<void> {
    // The makers AddTeamCreators gave by mistake are not kept: they were never those teams' users.
  }
}
