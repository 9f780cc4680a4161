import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from './concurrent-index';

/**
 * A user has one personal team at most (RepairPersonalTeamCreators left them so), so
 * TeamRepository.findPersonalTeamId finds one row or none. Built CONCURRENTLY, outside a
 * transaction, so registrations and billing's writes to teams go on meanwhile.
 */
export class AddPersonalTeamCreatorIndex1795860000000 implements MigrationInterface {
  name = 'AddPersonalTeamCreatorIndex1795860000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexConcurrently(queryRunner, 'teams_personal_created_by_key', `"teams" ("created_by") WHERE personal`, true);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "teams_personal_created_by_key"`);
  }
}
