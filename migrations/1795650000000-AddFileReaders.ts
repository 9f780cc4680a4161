import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Downloads of a file secret under way, counted by the reveal that spends the view and by the
 * download's end, so the last view's download no longer removes bytes that an earlier, slower
 * view's download is still reading. A constant default: no table rewrite.
 */
export class AddFileReaders1795650000000 implements MigrationInterface {
  name = 'AddFileReaders1795650000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" ADD "file_readers" integer NOT NULL DEFAULT '0'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "secrets" DROP COLUMN "file_readers"`);
  }
}
