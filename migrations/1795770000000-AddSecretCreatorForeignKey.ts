import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A secret's creator is a user who may be deleted (DELETE /account, or an admin deleting a
 * service account): the secret stays with its team and forgets who made it. Creators already
 * deleted are forgotten the same way. Added NOT VALID first, outside a transaction, so from then
 * on deletions set NULL themselves, and then validated, which lets creates and reveals go on.
 */
export class AddSecretCreatorForeignKey1795770000000 implements MigrationInterface {
  name = 'AddSecretCreatorForeignKey1795770000000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "secrets" ADD CONSTRAINT "FK_06268fb8c393e0832502ca85e2d" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION NOT VALID`,
    );
    await queryRunner.query(
      `UPDATE "secrets" s SET "created_by" = NULL WHERE "created_by" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" u WHERE u.id = s.created_by)`,
    );
    await queryRunner.query(`ALTER TABLE "secrets" VALIDATE CONSTRAINT "FK_06268fb8c393e0832502ca85e2d"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP CONSTRAINT "FK_06268fb8c393e0832502ca85e2d"`);
  }
}
