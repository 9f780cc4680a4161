import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Passcode guesses being judged, kept apart from the wrong ones (`failed_attempts`). With the two
 * in one count, a wrong guess judged while a right one was still in flight burned the secret on
 * its fourth wrong guess, and a 401's `attempts_remaining` counted guesses not yet judged. A
 * constant default: no table rewrite. Guesses in flight during the upgrade stay counted as wrong.
 */
export class AddPendingPasscodeGuesses1795670000000 implements MigrationInterface {
  name = 'AddPendingPasscodeGuesses1795670000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" ADD "pending_passcode_guesses" integer NOT NULL DEFAULT '0'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "pending_passcode_guesses"`);
  }
}
