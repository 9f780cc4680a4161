import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Emails are now kept in Unicode NFC (`emailKey`), and logins look them up in that form: an
 * account registered before with a decomposed address (`o` and a combining accent) is moved to
 * it, so its owner can still log in. One whose composed twin already exists (the duplicate this
 * closes) is left as it is, for an operator to settle: two accounts cannot hold one address.
 * So is every decomposed spelling of one address but the oldest account's, when several exist.
 * Only a UTF-8 database can hold such addresses, and only there does normalize() run.
 */
export class NormalizeEmails1795770000000 implements MigrationInterface {
  name = 'NormalizeEmails1795770000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const [{ server_encoding: encoding }] = (await queryRunner.query('SHOW server_encoding')) as { server_encoding: string }[];
    if (encoding !== 'UTF8') return;
    await queryRunner.query(
      // One row per NFC address, the oldest: the NOT EXISTS sees the statement's starting snapshot,
      // so two decomposed spellings of one address (marks in either order) would both be moved to
      // it and break users_email_key.
      `UPDATE users u SET email = normalize(u.email, NFC)
        WHERE u.id IN (SELECT DISTINCT ON (normalize(email, NFC)) id FROM users
                        WHERE email IS NOT NULL AND email <> normalize(email, NFC)
                        ORDER BY normalize(email, NFC), created_at, id)
          AND NOT EXISTS (SELECT 1 FROM users twin WHERE twin.email = normalize(u.email, NFC))`,
    );
  }

  public async down(): Promise<void> {
    // The decomposed forms are not kept: NFC is the same address.
  }
}
