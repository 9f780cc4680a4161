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
  await withoutLockTimeout(queryRunner, async () => {
    if (invalid.length) await queryRunner.query(`DROP INDEX CONCURRENTLY "${name}"`);
    await queryRunner.query(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS "${name}" ON ${definition}`);
  });
}

/**
 * Runs `build` with no lock_timeout, then puts back the runner's (src/common/database/migration-lock-retries.ts).
 * A concurrent build waits, as lock waits, for every transaction older than it to end: the
 * timeout would cut it short, leaving the INVALID index. Waiting holds up no reads or writes.
 */
async function withoutLockTimeout(queryRunner: QueryRunner, build: () => Promise<void>): Promise<void> {
  const [{ bound }] = (await queryRunner.query(`SELECT current_setting('lock_timeout') AS bound`)) as { bound: string }[];
  await queryRunner.query(`SET lock_timeout = 0`);
  try {
    await build();
  } finally {
    await queryRunner.query(`SELECT set_config('lock_timeout', $1, false)`, [bound]);
  }
}
