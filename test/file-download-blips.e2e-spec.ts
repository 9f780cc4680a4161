import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import { sealFile } from '../src/crypto/file-stream';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { uploadFile } from './support/multipart';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { newTeamAt } from './support/teams';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

const MIB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const PART_READ = 'FROM secret_file_parts WHERE secret_id = $1 AND seq = $2';
const DOWNLOAD_END = 'file_readers = file_readers - 1';

interface Answer {
  status: number;
  body: Buffer;
  complete: boolean;
}

/**
 * POSTs a reveal; with `stalled`, its reader stops after the first bytes until `resume` is
 * called. `answered` settles with the status as soon as it comes, `done` once the answer ends.
 */
function reveal(baseUrl: string, token: string, stalled = false): { answered: Promise<number>; done: Promise<Answer>; resume(): void } {
  let resume = () => {};
  let answered!: (status: number) => void;
  const status = new Promise<number>((resolve) => (answered = resolve));
  const done = new Promise<Answer>((resolve) => {
    const req = request(`${baseUrl}/api/v1/links/${token}/reveal`, { method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (stalled && chunks.length === 1) {
          res.pause();
          resume = () => res.resume();
          answered(res.statusCode ?? 0);
        }
      });
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), complete: res.complete }));
      if (!stalled) answered(res.statusCode ?? 0);
    });
    req.on('error', () => resolve({ status: 0, body: Buffer.alloc(0), complete: false }));
    req.end();
  });
  return { answered: status, done, resume: () => resume() };
}

/**
 * A TCP hop in front of PostgreSQL that, once told to (`loseAnswer`), loses the answer to the next
 * statement whose client bytes hold `marker`: the statement runs and commits, then the connection
 * is cut before its client hears of it. `answered` counts the statements with the marker the server
 * has answered, the lost one included.
 */
async function answerLosingProxy(target: { host: string; port: number }, marker: string) {
  const sockets = new Set<Socket>();
  const READY = Buffer.from([0x5a, 0, 0, 0, 5]);
  let losses = 0;
  let answered = 0;
  const server: Server = createServer((client) => {
    const upstream = new Socket().connect(target.port, target.host);
    let awaiting = false;
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes(marker)) awaiting = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (awaiting && chunk.includes(READY)) {
        awaiting = false;
        answered++;
        if (losses > 0) {
          losses--;
          [client, upstream].forEach((socket) => socket.destroy());
          return;
        }
      }
      client.write(chunk);
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    loseAnswer: () => losses++,
    answered: () => answered,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      server.close();
    },
  };
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

onPostgres('a database blip while a spent file is read (a lock held, its waiting backend terminated)', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let pat: string;
  /** Two connections, as an operator's psql sessions: one holds a lock, the other looks and ends the app's backends waiting for it. */
  let holder: Client;
  let operator: Client;
  const fields = { expire_mode: 'views', expire_value: '1' };
  const rowOf = async (id: string): Promise<{ status: string; views_count: number; file_readers: number }> =>
    (await operator.query('SELECT status, views_count, file_readers FROM secrets WHERE id = $1', [id])).rows[0];

  /** Ends the app's backends waiting for a lock on a statement containing `sql`; answers how many (none yet: 0). */
  const terminateWaiting = async (sql: string): Promise<number> => {
    const { rowCount } = await operator.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND strpos(query, $1) > 0`,
      [sql],
    );
    return rowCount ?? 0;
  };
  /** Holds `lock` (a statement) until `blip` has ended one statement containing `sql`, then lets go. */
  const blipOnce = async (lock: string, sql: string, values: unknown[] = []): Promise<() => Promise<boolean>> => {
    await holder.query('BEGIN');
    await holder.query(lock, values);
    return async () => {
      const ended = await eventually(async () => (await terminateWaiting(sql)) > 0, 10);
      await holder.query('COMMIT');
      return ended;
    };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db));
    pat = await newTeamAt('pro', server.baseUrl, db.url);
    [holder, operator] = [new Client({ connectionString: db.url }), new Client({ connectionString: db.url })];
    await Promise.all([holder.connect(), operator.connect()]);
  });
  afterAll(async () => {
    await Promise.all([holder.end(), operator.end()]);
    await server.stop();
    await db.drop();
  });

  it('reads the first part again: a one-view server-mode file still comes back whole, not a 503 after its view was spent', async () => {
    const data = randomBytes(1.5 * MIB);
    const created = await uploadFile(server.baseUrl, pat, fields, { name: 'report.pdf', type: 'application/pdf', data });
    const { id, token } = created.body.data! as { id: string; token: string };
    const blip = await blipOnce('LOCK TABLE secret_file_parts IN ACCESS EXCLUSIVE MODE', PART_READ);
    const answer = reveal(server.baseUrl, token);
    expect(await blip()).toBe(true);
    const res = await answer.done;
    expect([res.status, res.complete, sha256(res.body)]).toEqual([200, true, sha256(data)]);
    expect(await eventually(async () => (await rowOf(id)).file_readers === 0, 5)).toBe(true);
    expect(await rowOf(id)).toMatchObject({ status: 'burned', views_count: 1 });
  });

  it('reads a later part again mid-stream: a client-mode download goes on to the last byte rather than being cut', async () => {
    const sealed = await collect(sealFile(randomBytes(32), Buffer.alloc(0), { name: 'a', type: 'b' }, [randomBytes(16 * MIB)]));
    const created = await uploadFile(
      server.baseUrl,
      pat,
      { ...fields, encryption: 'client' },
      { name: 'blob', type: 'application/octet-stream', data: sealed },
    );
    const { id, token } = created.body.data! as { id: string; token: string };
    const answer = reveal(server.baseUrl, token, true);
    expect(await answer.answered).toBe(200);
    // Its reader stalled, most of the file's parts are still to be read.
    const blip = await blipOnce('LOCK TABLE secret_file_parts IN ACCESS EXCLUSIVE MODE', PART_READ);
    answer.resume();
    expect(await blip()).toBe(true);
    const res = await answer.done;
    expect([res.complete, res.body.length, sha256(res.body)]).toEqual([true, sealed.length, sha256(sealed)]);
    expect(await eventually(async () => (await rowOf(id)).file_readers === 0, 5)).toBe(true);
  });

  it('answers a first part it cannot read within its retries 500, not the 503 that says nothing was spent', async () => {
    const created = await uploadFile(server.baseUrl, pat, fields, { name: 'a.txt', type: 'text/plain', data: randomBytes(1000) });
    const { id, token } = created.body.data! as { id: string; token: string };
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE secret_file_parts IN ACCESS EXCLUSIVE MODE');
    let answered = false;
    const answer = reveal(server.baseUrl, token);
    void answer.done.then(() => (answered = true));
    // Every read of it is ended as it waits, until the reveal gives up.
    while (!answered) {
      await terminateWaiting(PART_READ);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await holder.query('COMMIT');
    const res = await answer.done;
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body.toString())).toEqual({
      message: 'The file could not be read just now, and this view of it was spent. Open the link again to see whether it still works.',
    });
    expect(await rowOf(id)).toMatchObject({ status: 'burned', views_count: 1 });
    expect(await eventually(async () => (await rowOf(id)).file_readers === 0, 5)).toBe(true);
  });

  it('records a download’s end again once the database is back: the reader is uncounted and the bytes go, not an hour later', async () => {
    const data = randomBytes(16 * MIB);
    const created = await uploadFile(server.baseUrl, pat, fields, { name: 'big.bin', type: 'x/y', data });
    const { id, token } = created.body.data! as { id: string; token: string };
    const answer = reveal(server.baseUrl, token, true);
    expect(await answer.answered).toBe(200);
    expect(await rowOf(id)).toMatchObject({ status: 'burned', file_readers: 1 });
    const blip = await blipOnce('SELECT 1 FROM secrets WHERE id = $1 FOR UPDATE', DOWNLOAD_END, [id]);
    answer.resume();
    expect(await blip()).toBe(true);
    const res = await answer.done;
    expect([res.complete, sha256(res.body)]).toEqual([true, sha256(data)]);
    expect(await eventually(async () => (await rowOf(id)).file_readers === 0, 10)).toBe(true);
    const [{ parts }] = (await operator.query('SELECT count(*)::int AS parts FROM secret_file_parts WHERE secret_id = $1', [id])).rows;
    expect(parts).toBe(0);
  });
});

onPostgres('a download’s end whose answer is lost after it ran (its connection cut as PostgreSQL answered)', () => {
  let db: TestDatabase;
  let proxy: Awaited<ReturnType<typeof answerLosingProxy>>;
  let server: ServerProcess;
  let pat: string;
  let operator: Client;
  const rowOf = async (id: string): Promise<{ status: string; file_readers: number }> =>
    (await operator.query('SELECT status, file_readers FROM secrets WHERE id = $1', [id])).rows[0];
  const partsOf = async (id: string): Promise<number> =>
    (await operator.query('SELECT count(*)::int AS parts FROM secret_file_parts WHERE secret_id = $1', [id])).rows[0].parts;

  beforeAll(async () => {
    db = await createTestDatabase();
    const url = new URL(db.url);
    // The end's statement is prepared under its name, which every try sends (Parse, then Bind).
    proxy = await answerLosingProxy({ host: url.hostname, port: Number(url.port || 5432) }, 'file_download_end_');
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    server = await startServerProcess(serverEnvOn(db, { DATABASE_URL: url.toString() }));
    pat = await newTeamAt('pro', server.baseUrl, db.url);
    operator = new Client({ connectionString: db.url });
    await operator.connect();
  });
  afterAll(async () => {
    await operator.end();
    await server.stop();
    proxy.close();
    await db.drop();
  });

  it('is tried again and counted once: the other view’s download still under way keeps its reader and its bytes to the last', async () => {
    const data = randomBytes(16 * MIB);
    const created = await uploadFile(
      server.baseUrl,
      pat,
      { expire_mode: 'views', expire_value: '2' },
      { name: 'big.bin', type: 'x/y', data },
    );
    const { id, token } = created.body.data! as { id: string; token: string };
    const first = reveal(server.baseUrl, token, true);
    expect(await first.answered).toBe(200);
    const second = reveal(server.baseUrl, token, true);
    expect(await second.answered).toBe(200);
    expect(await rowOf(id)).toEqual({ status: 'burned', file_readers: 2 });
    const parts = await partsOf(id);

    proxy.loseAnswer();
    first.resume();
    const firstRes = await first.done;
    expect([firstRes.complete, sha256(firstRes.body)]).toEqual([true, sha256(data)]);
    // The first try, answered and lost, then its retry, answered.
    expect(await eventually(() => proxy.answered() === 2, 20)).toBe(true);
    expect([await rowOf(id), await partsOf(id)]).toEqual([{ status: 'burned', file_readers: 1 }, parts]);

    second.resume();
    const secondRes = await second.done;
    expect([secondRes.complete, secondRes.body.length, sha256(secondRes.body)]).toEqual([true, data.length, sha256(data)]);
    expect(await eventually(async () => (await rowOf(id)).file_readers === 0, 10)).toBe(true);
    expect(await partsOf(id)).toBe(0);
  });
});
