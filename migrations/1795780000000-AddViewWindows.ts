import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A `views` secret may also end after a window of its own (`expires_in_minutes`), shorter than
 * the plan's lifetime: kept so a new view budget (PUT) gets the same window again. Nullable with
 * no default: no table rewrite, and every secret made before has none.
 */
export class AddViewWindows1795780000000 implements MigrationInterface {
  name = 'AddViewWindows1795780000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" ADD "window_minutes" integer`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "window_minutes"`);
  }
}
