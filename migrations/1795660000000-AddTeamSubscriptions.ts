import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each Stripe subscription of a team, as its newest event left it (TeamSubscription). The plan
 * was whatever the newest event of any subscription said, so cancelling an old subscription
 * dropped a team to free while a newer one still paid. The old per-team event time goes: events
 * are ordered per subscription now. Nothing is carried over, since no subscription id was kept:
 * a team's plan stays as it is until one of its subscriptions sends an event.
 */
export class AddTeamSubscriptions1795660000000 implements MigrationInterface {
  name = 'AddTeamSubscriptions1795660000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "team_subscriptions" ("subscription_id" character varying(255) NOT NULL, "team_id" uuid NOT NULL, "plan" character varying(20) NOT NULL, "status" character varying(32) NOT NULL, "event_at" TIMESTAMP WITH TIME ZONE NOT NULL, "event_rank" smallint NOT NULL, CONSTRAINT "PK_d05ffa7a0ec402e4c41ad7c2d5e" PRIMARY KEY ("subscription_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "team_subscriptions_team_idx" ON "team_subscriptions" ("team_id")`);
    await queryRunner.query(
      `ALTER TABLE "team_subscriptions" ADD CONSTRAINT "FK_01ac067defb461e63eaadbed3c5" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "teams" DROP COLUMN "billing_event_at"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teams" ADD "billing_event_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`DROP TABLE "team_subscriptions"`);
  }
}
