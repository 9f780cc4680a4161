import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Until when the passcode guesses being judged hold their attempts. An instance killed while it
 * judged guesses never gave their attempts back, and a secret whose five attempts were all held
 * so answered every later guess, right ones included, 429 until it expired. Nullable with no
 * default: no table rewrite.
 */
export class AddPasscodeGuessLeases1795740000000 implements MigrationInterface {
  name = 'AddPasscodeGuessLeases1795740000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" ADD "passcode_guesses_until" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "passcode_guesses_until"`);
  }
}
