import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * AddTeamCreators gave personal teams their earliest remaining member as maker too: once a
 * personal team's user had left it, the member it had added first became its maker, beside their
 * own. Such a user's token without `team_id`, their account's deletion and the rule that keeps a
 * personal team's user in it could take the other team for theirs. Of the personal teams
 * recorded as one user's, theirs is the one made with their account (registration writes both in
 * one transaction, so they share `created_at`), else the one the build before AddTeamCreators
 * gave them: their earliest personal-team membership. The others, and a personal team whose maker
 * is no longer in it, are left without a maker: no one's personal team (see TeamsService.assertDeletable).
 */
export class RepairPersonalTeamCreators1795850000000 implements MigrationInterface {
  name = 'RepairPersonalTeamCreators1795850000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "teams" SET "created_by" = NULL
        WHERE "id" IN (
          SELECT id FROM (
            SELECT t.id, row_number() OVER (
                     PARTITION BY t.created_by
                     ORDER BY (t.created_at = u.created_at) IS TRUE DESC, m.created_at NULLS LAST, t.id) AS rank
              FROM teams t
              LEFT JOIN users u ON u.id = t.created_by
              LEFT JOIN team_members m ON m.team_id = t.id AND m.user_id = t.created_by
             WHERE t.personal AND t.created_by IS NOT NULL) ranked
           WHERE rank > 1)`,
    );
    await queryRunner.query(
      `UPDATE "teams" t SET "created_by" = NULL
        WHERE t.personal AND t.created_by IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = t.created_by)`,
    );
  }

  public async down(): Promise<void> {
    // The makers AddTeamCreators gave by mistake are not kept: they were never those teams' users.
  }
}
