import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A server file's name and type, sealed under the keyring as its content is: `file_name` and
 * `file_content_type` held them in clear, so every dump or backup did. SQL has no key to seal the
 * rows already written, so they keep their clear values (read as before, wiped when the secret
 * ends); new rows write only the sealed column. Nullable with no default: no table rewrite.
 */
export class SealFileInfo1795790000000 implements MigrationInterface {
  name = 'SealFileInfo1795790000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" ADD "sealed_file_info" bytea`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "sealed_file_info"`);
  }
}
