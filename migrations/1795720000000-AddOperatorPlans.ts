import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The plan an operator grants with `plan:set`, kept apart from what Stripe's subscriptions pay
 * for, so a subscription's event (an abandoned checkout, say) no longer takes a granted plan
 * away. Teams moved by `plan:set` before this have no record of it: their next subscription
 * event sets their plan as before.
 */
export class AddOperatorPlans1795720000000 implements MigrationInterface {
  name = 'AddOperatorPlans1795720000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" ADD "operator_plan" character varying(20)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "operator_plan"`);
  }
}
