import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrations } from '../migrations';
import { adminQuery, createTestDatabase, TEST_DATABASE_PREFIX, withDatabase } from './support/database';
import { eventually } from './support/eventually';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

/** Several instances sharing one database (the README's deployment) start together on an empty one. */
onPostgres('migrations at start-up', () => {
  // Read in the hooks: a skipped describe still runs its body, without TEST_DATABASE_URL.
  const serverUrl = () => process.env.TEST_DATABASE_URL!;
  const name = `${TEST_DATABASE_PREFIX}fresh_${randomBytes(6).toString('hex')}`;
  const url = () => withDatabase(serverUrl(), name);
  let servers: ServerProcess[] = [];

  beforeAll(() => adminQuery(serverUrl(), `CREATE DATABASE "${name}"`));
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await adminQuery(serverUrl(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await adminQuery(serverUrl(), `DROP DATABASE IF EXISTS "${name}_lock" WITH (FORCE)`);
  });

  it('run once when four instances start at once on an empty database: the others wait, none fails', async () => {
    const env = { DATABASE_URL: url(), ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'info' };
    servers = await Promise.all(Array.from({ length: 4 }, () => startServerProcess(env)));
    const client = new Client({ connectionString: url() });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; n: number }>('SELECT name, count(*)::int AS n FROM migrations GROUP BY name');
      expect(rows.length).toBe(migrations.length);
      expect(rows.filter((row) => row.n !== 1)).toEqual([]);
    } finally {
      await client.end();
    }
    for (const server of servers) expect(server.output()).not.toMatch(/Migration .* failed|already exists/);
    // The one that migrated says so, at info, naming them; the others found nothing to do.
    const said = servers.map((server) => /"msg":"Ran (\d+) migrations: /.exec(server.output())?.[1]);
    expect(said.filter(Boolean)).toEqual([String(migrations.length)]);
  });

  it('an index whose concurrent build was cut short is built again, not taken as done', async () => {
    const db = await createTestDatabase();
    try {
      // What a crash or a cancel mid-build leaves: the index, INVALID, and its migration unrecorded.
      await adminQuery(db.url, `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '"secrets_idempotency_key"'::regclass`);
      await adminQuery(db.url, `DELETE FROM migrations WHERE name = 'AddIdempotentCreates1795700000000'`);
      const server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'info' }));
      await server.stop();
      expect(server.output()).toContain('"msg":"Ran 1 migration: AddIdempotentCreates1795700000000"');
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const built = await client.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = '"secrets_idempotency_key"'::regclass`);
        expect(built.rows).toEqual([{ indisvalid: true }]);
      } finally {
        await client.end();
      }
    } finally {
      await db.drop();
    }
  });

  it('a migration statement that runs longer than DATABASE_QUERY_TIMEOUT_MS is not cut off', async () => {
    const db = await createTestDatabase();
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      // A statement of the migrations that takes its time, as an index build on a large table does.
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE migrations IN ACCESS EXCLUSIVE MODE');
      const starting = startServerProcess(serverEnvOn(db, { DATABASE_QUERY_TIMEOUT_MS: '200', LOG_LEVEL: 'warn' }));
      await new Promise((resolve) => setTimeout(resolve, 6000));
      await holder.query('COMMIT');
      const server = await starting;
      await server.stop();
      expect(server.output()).not.toMatch(/Query read timeout/);
    } finally {
      await holder.end();
      await db.drop();
    }
  }, 30_000);

  it('an instance waiting for the migrations lock says every few seconds which session holds it, then starts once it is let go', async () => {
    const db = await createTestDatabase();
    const holder = new Client({ connectionString: db.url, application_name: 'lock-holder-spec' });
    const watcher = new Client({ connectionString: db.url });
    await holder.connect();
    await watcher.connect();
    try {
      const lock = `SELECT pg_advisory_lock(hashtextextended('oncelink:migrations', 0)), pg_backend_pid() AS pid`;
      const [{ pid }] = (await holder.query<{ pid: number }>(lock)).rows;
      const starting = startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn' }));
      const polling = async () =>
        (
          await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'oncelink'`, [
            db.name,
          ])
        ).rows[0].n > 0;
      expect(await eventually(polling, 20)).toBe(true);
      // Past the first report, 5 s into the wait.
      await new Promise((resolve) => setTimeout(resolve, 6500));
      await holder.query(`SELECT pg_advisory_unlock(hashtextextended('oncelink:migrations', 0))`);
      const server = await starting;
      await server.stop();
      expect(server.output()).toContain(
        `Waiting for the migration lock, held by pid ${pid} (lock-holder-spec, idle): SELECT pg_advisory_lock(hashtextextended('oncelink:migrations', 0)), pg_backend_pid() AS`,
      );
    } finally {
      await holder.end();
      await watcher.end();
      await db.drop();
    }
  }, 30_000);

  it('an instance waiting for the migrations lock does not deadlock the holder’s CREATE INDEX CONCURRENTLY', async () => {
    const waitingOn = withDatabase(serverUrl(), `${name}_lock`);
    await adminQuery(serverUrl(), `CREATE DATABASE "${name}_lock"`);
    const holder = new Client({ connectionString: waitingOn });
    await holder.connect();
    try {
      // The holder is another instance mid-migration; it has yet to build an index concurrently.
      await holder.query(`SELECT pg_advisory_lock(hashtextextended('oncelink:migrations', 0))`);
      await holder.query('CREATE TABLE "lock_probe" ("n" integer)');
      const starting = startServerProcess({
        DATABASE_URL: waitingOn,
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'warn',
      });
      const waiting = async () =>
        (
          await holder.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
            `${name}_lock`,
          ])
        ).rows[0].n > 0;
      expect(await eventually(waiting, 20)).toBe(true);
      // Past deadlock_timeout (1 s), when PostgreSQL would look for the cycle from the build's side.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await holder.query('CREATE INDEX CONCURRENTLY "lock_probe_n" ON "lock_probe" ("n")');
      await holder.query(`SELECT pg_advisory_unlock(hashtextextended('oncelink:migrations', 0))`);
      const server = await starting;
      servers.push(server);
      expect(server.output()).not.toMatch(/deadlock/);
      const built = await holder.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'lock_probe_n'::regclass`);
      expect(built.rows).toEqual([{ indisvalid: true }]);
    } finally {
      await holder.end();
    }
  });
});

describe('npm run migration:revert', () => {
  it('refuses to run without DATABASE_URL, rather than guess a local database', () => {
    const revert = spawnSync(
      process.execPath,
      [
        join(__dirname, '../node_modules/typeorm/cli.js'),
        'migration:revert',
        '-t',
        'none',
        '-d',
        join(__dirname, '../dist/scripts/data-source.js'),
      ],
      { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' },
    );
    expect(revert.status).not.toBe(0);
    expect(revert.stdout + revert.stderr).toContain('DATABASE_URL is required');
  });
});
