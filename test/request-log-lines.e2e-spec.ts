import { connect } from 'node:net';
import { adminQuery, createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { newTeam, TestUser } from './support/factories';
import { logEntries, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { setPlanAt } from './support/teams';

const IDLE_MS = 400;
/** Creates with this many views break a CHECK constraint the spec adds: a failure nothing maps, so a 500. */
const FORBIDDEN_VIEWS = 7;

interface Line {
  level: number;
  msg: string;
  req?: { id: string };
  res?: { status: number };
  responseTime?: number;
}

/** Writes a whole request and hangs up as soon as it has left, before any answer can come. */
async function sendAndHangUp(port: number, head: string, body: Buffer): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write(Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`), body]), () => socket.destroy());
  await closed;
}

/** Sends the head of a request and part of its body, then nothing; answers what came back once the server closed. */
async function stallBody(port: number, path: string): Promise<string> {
  const body = JSON.stringify({ email: 'stalled@example.test', password: 'never sent in full', name: 'Stalled' });
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  );
  await closed;
  return received;
}

describe('request log lines', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let port: number;
  let owner: TestUser;
  let pat: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'debug', BODY_IDLE_TIMEOUT_MS: String(IDLE_MS) }));
    port = Number(new URL(server.baseUrl).port);
    ({ owner, pat } = await newTeam(server.baseUrl));
    // Files are a Pro feature.
    await setPlanAt(db.url, owner.teamId, 'pro');
    // Once the server has migrated the database (an embedded one starts empty).
    await adminQuery(
      db.url,
      `ALTER TABLE secrets ADD CONSTRAINT spec_no_${FORBIDDEN_VIEWS}_views CHECK (expire_value <> ${FORBIDDEN_VIEWS})`,
    );
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const lines = () => logEntries(server.output()) as unknown as Line[];
  const accessLinesOf = (id: string) => lines().filter((line) => line.req?.id === id && line.res !== undefined);

  describe('of a client that hangs up after its body arrived, on a route Fastify answers', () => {
    it('is one access line with status 499 for a file create', async () => {
      const id = 'hang-up-after-upload';
      const file = Buffer.alloc(1024 * 1024, 'a');
      const form = Buffer.concat([
        Buffer.from(
          '--XyZ\r\nContent-Disposition: form-data; name="expire_mode"\r\n\r\nviews\r\n' +
            '--XyZ\r\nContent-Disposition: form-data; name="expire_value"\r\n\r\n1\r\n' +
            '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n',
        ),
        file,
        Buffer.from('\r\n--XyZ--\r\n'),
      ]);
      await sendAndHangUp(
        port,
        `POST /api/v1/secrets HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: ${id}\r\nAuthorization: Bearer ${pat}\r\n` +
          'Content-Type: multipart/form-data; boundary=XyZ\r\n',
        form,
      );
      await eventually(() => accessLinesOf(id).length > 0, 10);
      expect(accessLinesOf(id).map((line) => [line.req?.id, line.res?.status])).toEqual([[id, 499]]);
    });

    it('is one access line with status 499 for a token login', async () => {
      const id = 'hang-up-after-login';
      const body = JSON.stringify({ email: owner.email, password: owner.password, device_name: 'gone', abilities: ['secrets:read'] });
      await sendAndHangUp(
        port,
        `POST /api/v1/auth/token HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: ${id}\r\nContent-Type: application/json\r\n`,
        Buffer.from(body),
      );
      await eventually(() => accessLinesOf(id).length > 0, 10);
      expect(accessLinesOf(id).map((line) => [line.req?.id, line.res?.status])).toEqual([[id, 499]]);
    });
  });

  it.each([
    ['answered ahead of Fastify', '/api/v1/secrets', true],
    ['on a route Fastify answers', '/api/v1/auth/register', false],
  ])(
    'of a stalled body %s carry the one request id its 408 has, and its access line the time it waited',
    async (_case, path, debugLine) => {
      const before = lines().length;
      const received = await stallBody(port, path);
      const id = /\r\nx-request-id: ([^\r]+)\r\n/i.exec(received)?.[1];
      expect(id).toBeDefined();
      await eventually(
        () =>
          lines()
            .slice(before)
            .some((line) => line.res?.status === 408),
        10,
      );
      // Its 408 closed the connection; the direct route still reading its body says, in a debug line, that it never came.
      if (debugLine)
        await eventually(
          () =>
            lines()
              .slice(before)
              .some((line) => line.level === 20),
          10,
        );
      const about = lines()
        .slice(before)
        .filter((line) => line.req !== undefined || line.msg.startsWith('request '));
      expect(about.length).toBe(debugLine ? 2 : 1);
      expect(about.filter((line) => line.req?.id !== id)).toEqual([]);
      const access = about.filter((line) => line.res !== undefined);
      expect(access.map((line) => line.res?.status)).toEqual([408]);
      expect(access[0].responseTime).toBeGreaterThanOrEqual(IDLE_MS);
    },
  );

  it('of a 500 put its stack under the request id its answer has', async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/secrets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'breaks a constraint', expire_mode: 'views', expire_value: FORBIDDEN_VIEWS }),
    });
    expect(res.status).toBe(500);
    const id = res.headers.get('x-request-id')!;
    await eventually(() => lines().some((line) => line.level === 50 && line.req?.id === id && !('res' in line)), 10);
    const errors = lines().filter((line) => line.level === 50 && line.req?.id === id && line.res === undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toContain(`spec_no_${FORBIDDEN_VIEWS}_views`);
    expect(errors[0].msg).toMatch(/\n {4}at /);
  });
});
