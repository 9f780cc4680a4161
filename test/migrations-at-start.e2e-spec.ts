import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrations } from '../migrations';
import { adminQuery, withDatabase } from './support/database';
import { ServerProcess, startServerProcess } from './support/server-process';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

/** Several instances sharing one database (the README's deployment) start together on an empty one. */
onPostgres('migrations at start-up', () => {
  // Read in the hooks: a skipped describe still runs its body, without TEST_DATABASE_URL.
  const serverUrl = () => process.env.TEST_DATABASE_URL!;
  const name = `oncelink_test_fresh_${randomBytes(6).toString('hex')}`;
  const url = () => withDatabase(serverUrl(), name);
  let servers: ServerProcess[] = [];

  beforeAll(() => adminQuery(serverUrl(), `CREATE DATABASE "${name}"`));
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await adminQuery(serverUrl(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it('run once when four instances start at once on an empty database: the others wait, none fails', async () => {
    const env = { DATABASE_URL: url(), ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn' };
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
  });
});
