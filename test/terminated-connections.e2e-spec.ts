import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

const LOAD_MS = 8_000;
const CLIENTS = 8;

interface Answer {
  status: number;
  retryAfter: string | null;
}

/** One secret created and revealed, as a client would; a refused create ends the round. */
async function createAndReveal(baseUrl: string): Promise<Answer[]> {
  const created = await fetch(`${baseUrl}/api/v1/secrets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'correct horse battery staple', expire_mode: 'views', expire_value: 1 }),
  });
  const answers = [{ status: created.status, retryAfter: created.headers.get('retry-after') }];
  const body = (await created.json()) as { data?: { token: string } };
  if (created.status !== 201) return answers;
  const revealed = await fetch(`${baseUrl}/api/v1/links/${body.data!.token}/reveal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  await revealed.arrayBuffer();
  return [...answers, { status: revealed.status, retryAfter: revealed.headers.get('retry-after') }];
}

/**
 * Ends every other connection to the spec's database, again and again, as a PostgreSQL restart
 * or an operator's pg_terminate_backend does: a connection can be told so while the app holds it
 * between two statements, with no query of its own to fail.
 */
async function terminateConnectionsUntil(db: TestDatabase, done: () => boolean): Promise<number> {
  const killer = new Client({ connectionString: db.url });
  await killer.connect();
  let terminated = 0;
  try {
    while (!done()) {
      const { rowCount } = await killer.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      terminated += rowCount ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await killer.end();
  }
  return terminated;
}

onPostgres('when PostgreSQL terminates the connections of a busy app', () => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db));
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('stays up, answers each request 2xx or 503 with Retry-After, and recovers', async () => {
    const ends = Date.now() + LOAD_MS;
    const loading = () => Date.now() < ends && server.child.exitCode === null;
    const answers: Answer[] = [];
    const failures: string[] = [];
    const client = async () => {
      while (loading()) {
        await createAndReveal(server.baseUrl).then(
          (round) => answers.push(...round),
          (error: Error) => failures.push(error.cause instanceof Error ? error.cause.message : error.message),
        );
      }
    };
    const [terminated] = await Promise.all([terminateConnectionsUntil(db, () => !loading()), ...Array.from({ length: CLIENTS }, client)]);

    expect(server.output()).not.toContain("Unhandled 'error' event");
    expect(server.child.exitCode).toBeNull();
    expect(failures).toEqual([]);
    expect(terminated).toBeGreaterThan(0);
    const refused = answers.filter((answer) => answer.status === 503);
    expect(answers.filter((answer) => !(answer.status >= 200 && answer.status < 300) && answer.status !== 503)).toEqual([]);
    expect(refused.filter((answer) => answer.retryAfter === null)).toEqual([]);
    expect(answers.length).toBeGreaterThan(refused.length);

    expect(
      await eventually(async () => (await createAndReveal(server.baseUrl)).map((answer) => answer.status).join() === '201,200', 15, 250),
    ).toBe(true);
  });
});
