import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations';
import { AddFilePartTeams1795830000000 } from '../migrations/1795830000000-AddFilePartTeams';
import { migrateUnderLock } from '../src/common/database/migrate';
import type { LockRetries } from '../src/common/database/migration-lock-retries';
import { startFailure } from '../src/common/errors/start-failure';
import { typeormOptions } from '../src/typeorm-options';
import { adminQuery, TEST_DATABASE_PREFIX, waitingOnLocks, withDatabase } from './support/database';
import { eventually } from './support/eventually';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

/** AddFilePartTeams alters secret_file_parts (ADD COLUMN) before it builds its index concurrently; the ones after it need no such lock. */
const LOCKING = AddFilePartTeams1795830000000;

/**
 * A long holder of a lock AddFilePartTeams needs (a pg_dump, a long report, a session left idle
 * in transaction) as an instance starts on a database migrated up to the migration before it.
 */
onPostgres('migrations behind a long lock holder', () => {
  const name = `${TEST_DATABASE_PREFIX}miglock_${randomBytes(6).toString('hex')}`;
  const url = () => withDatabase(process.env.TEST_DATABASE_URL!, name);
  let holder: Client;
  let watcher: Client;

  beforeEach(async () => {
    await adminQuery(process.env.TEST_DATABASE_URL!, `CREATE DATABASE "${name}"`);
    const earlier = new DataSource({ ...typeormOptions(url()), migrations: migrations.slice(0, migrations.indexOf(LOCKING)) });
    await earlier.initialize();
    await earlier.runMigrations({ transaction: 'each' });
    await earlier.destroy();
    holder = new Client({ connectionString: url(), application_name: 'lock-holder-spec' });
    watcher = new Client({ connectionString: url() });
    await holder.connect();
    await watcher.connect();
  });
  afterEach(async () => {
    await holder.end();
    await watcher.end();
    await adminQuery(process.env.TEST_DATABASE_URL!, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  /** Runs the pending migrations as an instance's start does; a rejection is left for the spec to read. */
  function migrate(retries: LockRetries): Promise<DataSource> {
    const migrating = new DataSource(typeormOptions(url())).initialize().then((dataSource) => migrateUnderLock(dataSource, retries));
    migrating.catch(() => {});
    return migrating;
  }

  async function applied(): Promise<boolean> {
    const { rows } = await watcher.query('SELECT 1 FROM migrations WHERE name = $1', [LOCKING.name]);
    return rows.length === 1;
  }

  it('lets ordinary queries on the table through while it waits, and is applied once the holder lets go', async () => {
    await holder.query('BEGIN');
    await holder.query('SELECT count(*) FROM secret_file_parts');
    const migrating = migrate({ lockTimeoutMs: 2000, tries: 10, firstPauseMs: 100 });
    expect(await waitingOnLocks(watcher)).toBe(true);
    const reader = new Client({ connectionString: url() });
    await reader.connect();
    try {
      // Queued behind the migration's ALTER TABLE, which waits behind the holder.
      let read = false;
      const reading = reader.query('SELECT count(*) FROM secret_file_parts').then(() => (read = true));
      const readWhileHeld = await eventually(() => read, 30);
      await holder.query('COMMIT');
      await reading;
      await (await migrating).destroy();
      expect(readWhileHeld).toBe(true);
      expect(await applied()).toBe(true);
    } finally {
      await reader.end();
    }
  });

  it('fails, after its tries, with one line naming the holder when the holder never lets go', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    const debugLines = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => {});
    const plainLines = jest.spyOn(console, 'log');
    try {
      const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM secret_file_parts');
      const failed: unknown = await migrate({ lockTimeoutMs: 200, tries: 3, firstPauseMs: 100 }).catch((error: unknown) => error);
      expect(startFailure(failed)?.line).toBe(
        `Oncelink could not start: Migrations gave up: ALTER TABLE "secret_file_parts" ADD COLUMN IF NOT EXISTS "team_id" uuid waited 200 ms for a lock (try 3 of 3); the oldest transaction holding a table lock is pid ${rows[0].pid} (lock-holder-spec, idle in transaction): SELECT count(*) FROM secret_file_parts`,
      );
      expect(warnings.mock.calls.map(([message]) => message as string)).toEqual([
        expect.stringMatching(
          /^ALTER TABLE .* waited 200 ms for a lock \(try 1 of 3\), trying again in 100 ms; .* is pid \d+ \(lock-holder-spec/,
        ),
        expect.stringMatching(
          /^ALTER TABLE .* waited 200 ms for a lock \(try 2 of 3\), trying again in 200 ms; .* is pid \d+ \(lock-holder-spec/,
        ),
      ]);
      // TypeORM's own word on each try, as the app's log lines rather than plain text on stdout.
      expect(debugLines.mock.calls.map(([message]) => message as string)).toEqual(
        Array(3).fill(`Migration "${LOCKING.name}" failed, error: canceling statement due to lock timeout`),
      );
      expect(plainLines).not.toHaveBeenCalled();
      await holder.query('COMMIT');
      expect(await applied()).toBe(false);
    } finally {
      warnings.mockRestore();
      debugLines.mockRestore();
      plainLines.mockRestore();
    }
  });

  it('lets a concurrent index build wait out an older transaction rather than leave the index INVALID', async () => {
    // A snapshot held on another table: the build waits for it to end, and nothing else does.
    await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await holder.query('SELECT count(*) FROM users');
    const migrating = migrate({ lockTimeoutMs: 200, tries: 2, firstPauseMs: 100 });
    expect(await waitingOnLocks(watcher)).toBe(true);
    // Well past both tries' lock waits and the pause between them.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await holder.query('COMMIT');
    await (await migrating).destroy();
    const built = await watcher.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'secret_file_parts_team_idx'::regclass`);
    expect(built.rows).toEqual([{ indisvalid: true }]);
    expect(await applied()).toBe(true);
  });
});
