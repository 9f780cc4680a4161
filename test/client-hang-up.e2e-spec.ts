import { connect } from 'node:net';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { newSecret } from './support/secrets';
import { logEntries, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';

const IDLE_MS = 400;

interface LogLine {
  level: number;
  msg: string;
  req?: { id: string };
}

/** Sends the head of a JSON request and a third of its body, then hangs up as `how` says. */
async function hangUpMidBody(port: number, path: string, id: string, how: 'end' | 'reset' | 'stall'): Promise<void> {
  const body = JSON.stringify({ content: 'half of it', expire_mode: 'views', expire_value: 1 });
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  // Whatever comes back is read and dropped, so the server's closing is seen.
  socket.resume();
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: ${id}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  if (how === 'end') socket.end();
  if (how === 'reset') socket.resetAndDestroy();
  await closed;
}

// One server for both: a reveal's hang-up is logged at info, which the debug level includes.
describe('a client that hangs up', () => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'debug', BODY_IDLE_TIMEOUT_MS: String(IDLE_MS) }));
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const lines = () =>
    server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  /** The lines about request `id` (its access line, or a line naming it), once its debug line is out. */
  const linesOf = async (id: string) => {
    const about = () => lines().filter((line) => line.req?.id === id || line.msg.includes(id));
    await eventually(() => about().some((line) => line.level === 20), 10);
    return about().map(({ level, msg }) => ({ level, msg }));
  };

  it.each([
    ['closes its side of a create (answered ahead of Fastify)', '/api/v1/secrets', 'end'],
    ['resets a create', '/api/v1/secrets', 'reset'],
    ['closes its side on a route Fastify answers', '/api/v1/auth/register', 'end'],
    ['resets on a route Fastify answers', '/api/v1/auth/register', 'reset'],
  ] as const)('%s before its body has arrived: one debug line that says so, no database outage and no 400', async (_case, path, how) => {
    const id = `hang-up-${how}-${path.split('/').pop()}`;
    const before = lines().length;
    await hangUpMidBody(Number(new URL(server.baseUrl).port), path, id, how);
    expect(await linesOf(id)).toEqual([{ level: 20, msg: `request ${id}: the connection closed before its body had arrived` }]);
    expect(
      lines()
        .slice(before)
        .filter((line) => line.level >= 40 || line.msg.includes('Database')),
    ).toEqual([]);
    expect(
      lines()
        .slice(before)
        .filter((line) => (line as { res?: { status: number } }).res?.status === 400),
    ).toEqual([]);
  });

  it('lets a body that stalls and is answered 408 be no database outage', async () => {
    const before = lines().length;
    await hangUpMidBody(Number(new URL(server.baseUrl).port), '/api/v1/secrets', 'stalled-create', 'stall');
    await linesOf('stalled-create');
    const since = lines().slice(before);
    expect(since.some((line) => (line as { res?: { status: number } }).res?.status === 408)).toBe(true);
    expect(since.filter((line) => line.level >= 40 || line.msg.includes('Database'))).toEqual([]);
  });

  describe('once its reveal is sent', () => {
    const accessLinesOf = (id: string) =>
      logEntries(server.output()).filter((entry) => (entry as { req?: { id: string } }).req?.id === id && 'res' in entry);

    /** Reveals a fresh one-view secret on a connection that hangs up at once; answers its access lines' statuses and the link's views left. */
    async function hangUpOnReveal(id: string, passcode?: string) {
      const secret = await newSecret(server.baseUrl, {
        content: 'for someone still there',
        expire_value: 1,
        ...(passcode ? { passcode } : {}),
      });
      await revealAndHangUp(Number(new URL(server.baseUrl).port), secret.token, id, passcode ? { passcode } : {});
      await eventually(() => accessLinesOf(id).length > 0, 10);
      const link = await fetch(`${server.baseUrl}/api/v1/links/${secret.token}`);
      return {
        logged: accessLinesOf(id).map((entry) => (entry as { res?: { status: number } }).res?.status),
        link: link.status === 200 ? ((await link.json()) as { data: { views_remaining: number } }).data.views_remaining : link.status,
      };
    }

    it('without a passcode: it has its one access line', async () => {
      // Whether its view is spent, and so whether the line is a 499 or the 200 written to a closed
      // socket, depends on whether the server read the hang-up before the one statement went out or
      // its answer was written, which nothing here can order (README, "a client that leaves").
      const { logged } = await hangUpOnReveal('hang-up-reveal-plain');
      expect(logged).toHaveLength(1);
      expect([499, 200]).toContain(logged[0]);
    });

    it('with a passcode: spends no view, and its access line is a 499', async () => {
      expect(await hangUpOnReveal('hang-up-reveal-passcode', 'open sesame')).toEqual({ logged: [499], link: 1 });
    });
  });
});

/** Sends a whole reveal and hangs up as soon as it has left, before any answer can come. */
async function revealAndHangUp(port: number, token: string, id: string, body: Record<string, unknown>): Promise<void> {
  const json = JSON.stringify(body);
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write(
    `POST /api/v1/links/${token}/reveal HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: ${id}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    () => socket.destroy(),
  );
  await closed;
}
