import type { QueryRunner } from 'typeorm';

/**
 * CREATE INDEX CONCURRENTLY (outside a transaction, so the hot table keeps taking writes) that a
 * failed earlier build cannot pass for done: one cut short (a crash, a cancel) leaves an INVALID
 * index under the name, which IF NOT EXISTS alone would take as built and no query would use.
 * `definition` is what follows ON.
 */
export async function createIndexConcurrently(queryRunner: QueryRunner, name: string, definition: string, unique = false): Promise<void> {
  const invalid = (await queryRunner.query(`SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($1) AND NOT indisvalid`, [
    `"${name}"`,
  ])) as unknown[];
  if (invalid.length) await queryRunner.query(`DROP INDEX CONCURRENTLY "${name}"`);
  await queryRunner.query(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS "${name}" ON ${definition}`);
}
