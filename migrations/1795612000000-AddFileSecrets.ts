import { MigrationInterface, QueryRunner } from 'typeorm';

/** File secrets: their metadata on the secret, their bytes in parts written before the secret row. */
export class AddFileSecrets1795612000000 implements MigrationInterface {
  name = 'AddFileSecrets1795612000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" ADD "file_name" character varying(255)`);
    await queryRunner.query(`ALTER TABLE "secrets" ADD "file_content_type" character varying(255)`);
    await queryRunner.query(`ALTER TABLE "secrets" ADD "file_size" integer`);
    await queryRunner.query(`ALTER TABLE "secrets" ADD "file_encryption" character varying(6)`);
    await queryRunner.query(
      `CREATE TABLE "secret_file_parts" ("secret_id" uuid NOT NULL, "seq" integer NOT NULL, "data" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_secret_file_parts" PRIMARY KEY ("secret_id", "seq"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "secret_file_parts"`);
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "file_encryption"`);
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "file_size"`);
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "file_content_type"`);
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "file_name"`);
  }
}
