import { Client } from 'pg';
import { createTestDatabase, databaseMode, TestDatabase, waitingOnLocks } from './support/database';
import { eventually } from './support/eventually';
import { bearer, newTeam } from './support/factories';
import { newSecret } from './support/secrets';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';

/**
 * Two server processes on one PostgreSQL, as a horizontally scaled deployment runs. PGlite
 * serves one connection only (see src/main.ts), so in embedded mode one process takes them all.
 */
describe('POST /api/v1/links/{token}/reveal under concurrency', () => {
  let db: TestDatabase;
  let servers: ServerProcess[];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = serverEnvOn(db, { LOG_LEVEL: 'info' });
    if (db.embedded) servers = [await startServerProcess(env)];
    else servers = [await startServerProcess(env), await startServerProcess(env)];
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db.drop();
  });

  async function revealConcurrently(token: string, attempts: number): Promise<Record<number, number>> {
    const statuses = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        fetch(`${servers[i % servers.length].baseUrl}/api/v1/links/${token}/reveal`, { method: 'POST' }).then(async (res) => {
          if (res.status === 200) expect((await res.json()).data.content).toBe('exactly once');
          return res.status;
        }),
      ),
    );
    const counts: Record<number, number> = {};
    for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }

  it.each([1, 3])('lets 50 concurrent reveals of a %i-view secret succeed exactly that often', async (views) => {
    const secret = await newSecret(servers[0].baseUrl, { content: 'exactly once', expire_value: views });
    expect(await revealConcurrently(secret.token, 50)).toEqual({ 200: views, 410: 50 - views });
    const meta = await fetch(`${servers[servers.length - 1].baseUrl}/api/v1/links/${secret.token}`);
    expect(meta.status).toBe(410);
  });

  it('judges at most five of 16 parallel passcode guesses, whichever instance each reaches', async () => {
    const secret = await newSecret(servers[0].baseUrl, { content: 'guarded', passcode: 'open sesame', expire_value: 2 });
    const statuses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        fetch(`${servers[i % servers.length].baseUrl}/api/v1/links/${secret.token}/reveal`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ passcode: `wrong guess ${i}` }),
        }).then((res) => res.status),
      ),
    );
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    // Log lines leave in batches, within a second: wait for five, then a flush longer for any sixth.
    const judged = () =>
      servers.flatMap((server) => server.output().match(new RegExp(`Passcode attempt on secret ${secret.id}: wrong`, 'g')) ?? []);
    await eventually(() => judged().length >= 5, 5);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(judged()).toHaveLength(5);
    expect((await fetch(`${servers[0].baseUrl}/api/v1/links/${secret.token}`)).status).toBe(410);
  });
  // The row lock that orders the two needs a second connection, which PGlite does not serve.
  (databaseMode() === 'postgresql' ? it : it.skip)('reveals the content a PUT committed while the reveal waited for it', async () => {
    const [first, second] = [servers[0], servers[servers.length - 1]];
    const { pat } = await newTeam(first.baseUrl);
    const secret = await newSecret(first.baseUrl, { content: 'the old content', expire_value: 5 }, pat);
    const holder = new Client({ connectionString: db.url });
    const watcher = new Client({ connectionString: db.url });
    await Promise.all([holder.connect(), watcher.connect()]);
    try {
      // Lines the PUT up ahead of the reveal on the secret's row.
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM secrets WHERE id = $1 FOR UPDATE', [secret.id]);
      const put = fetch(`${first.baseUrl}/api/v1/secrets/${secret.id}`, {
        method: 'PUT',
        headers: { ...bearer(pat), 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'the new content', expire_value: 1 }),
      });
      expect(await waitingOnLocks(watcher, 1)).toBe(true);
      const revealed = fetch(`${second.baseUrl}/api/v1/links/${secret.token}/reveal`, { method: 'POST' });
      expect(await waitingOnLocks(watcher, 2)).toBe(true);
      await holder.query('COMMIT');
      expect((await put).status).toBe(200);
      const answer = await revealed;
      expect([answer.status, (await answer.json()).data?.content]).toEqual([200, 'the new content']);
    } finally {
      await Promise.all([holder.end(), watcher.end()]);
    }
  });
});
