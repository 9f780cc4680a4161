import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Teams moved by `plan:set` before `operator_plan` existed had no grant recorded, so the next
 * event of any of their subscriptions (an abandoned checkout, say) took a comped plan away. The
 * command has always recorded its change as a `plan.changed` event by the `operator`: a team
 * whose newest such event is the operator's is on the plan the operator gave it.
 */
export class RecordEarlierOperatorGrants1795730000000 implements MigrationInterface {
  name = 'RecordEarlierOperatorGrants1795730000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE teams t SET operator_plan = t.plan
        WHERE t.plan <> 'free' AND t.operator_plan IS NULL
          AND (SELECT e.actor_type = 'system' AND e.actor_name = 'operator' FROM audit_events e
                WHERE e.team_id = t.id AND e.type = 'plan.changed' ORDER BY e.created_at DESC LIMIT 1)`,
    );
  }

  public async down(): Promise<void> {
    // The grants stay: operator_plan itself goes with AddOperatorPlans' down.
  }
}
