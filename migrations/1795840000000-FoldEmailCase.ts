import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { caseFold } from 'unicode-case-folding';

/**
 * Emails are now kept case-folded (`emailKey`: Unicode's full default case folding, then NFC)
 * rather than lowercased, and logins look them up in that form: an account stored as `οδος` (final
 * sigma, as `ΟΔΟΣ` lowercased) or `straße` is moved to `οδοσ` or `strasse`, so its owner can still
 * log in. The fold runs here in JavaScript, as the app's emailKey does it: PostgreSQL has none
 * before 18, nor PGlite. Only non-ASCII keys can change (ASCII ones were lowercased, which is their
 * fold), so only those are read: `octet_length` exceeds `length` only for them. An account whose
 * folded key another account holds already, or would get too, is left as it is with that other
 * one, for an operator to settle (README, Upgrading); one line says how many.
 * Only a UTF-8 database can hold such addresses, as for `NormalizeEmails`.
 */
/** `users.email`'s length, in characters (code points), as varchar counts. */
const MAX_EMAIL_LENGTH = 254;

/** emailKey as this migration moved keys to, frozen here: a later change to the app's rule needs a migration of its own. */
const folded = (email: string): string => caseFold(email.normalize('NFD')).normalize('NFC');

export class FoldEmailCase1795840000000 implements MigrationInterface {
  name = 'FoldEmailCase1795840000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const [{ server_encoding: encoding }] = (await queryRunner.query('SHOW server_encoding')) as { server_encoding: string }[];
    if (encoding !== 'UTF8') return;
    const rows = (await queryRunner.query('SELECT id, email FROM users WHERE octet_length(email) > length(email)')) as {
      id: string;
      email: string;
    }[];
    const moves = rows.map(({ id, email }) => ({ id, email: folded(email) })).filter((move, i) => move.email !== rows[i].email);
    if (moves.length === 0) return;
    // A folded key is a fold's fixed point, so an account holding one already is not among the moves.
    const held = (await queryRunner.query('SELECT email FROM users WHERE email = ANY($1::text[])', [moves.map((m) => m.email)])) as {
      email: string;
    }[];
    const claims = new Map<string, number>();
    for (const { email } of [...moves, ...held]) claims.set(email, (claims.get(email) ?? 0) + 1);
    // Folding can lengthen an address (ß is ss) past the column's 254 characters: that one stays too.
    const clear = moves.filter(({ email }) => claims.get(email) === 1 && [...email].length <= MAX_EMAIL_LENGTH);
    if (clear.length > 0) {
      await queryRunner.query('UPDATE users u SET email = m.email FROM unnest($1::uuid[], $2::text[]) AS m(id, email) WHERE u.id = m.id', [
        clear.map((m) => m.id),
        clear.map((m) => m.email),
      ]);
    }
    const left = moves.length - clear.length;
    if (left > 0) {
      new Logger('Migrations').warn(
        `FoldEmailCase left ${left} account(s) with their email as stored: case-folded, it is another account's too, or longer than ${MAX_EMAIL_LENGTH} characters. ` +
          'Each cannot log in until an operator settles it (README, Upgrading).',
      );
    }
  }

  public async down(): Promise<void> {
    // The lowercased forms are not kept: the folded one is the same address.
  }
}
