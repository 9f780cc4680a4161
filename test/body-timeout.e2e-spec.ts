import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { databaseMode } from './support/database';
import { bearer } from './support/factories';
import { eventually } from './support/eventually';
import { newSecret } from './support/secrets';
import { RawClient, request } from './support/raw-client';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

const IDLE_MS = 400;
const MIB = 1024 * 1024;

/** A request body that stops arriving is answered 408 and its connection closed (BODY_IDLE_TIMEOUT_MS). */
describe('a request body that stalls', () => {
  const t = useTestApp({ env: { BODY_IDLE_TIMEOUT_MS: String(IDLE_MS) } });
  const port = () => Number(new URL(t.baseUrl).port);
  const secretCount = async () => (await t.dataSource.query('SELECT count(*)::int AS n FROM secrets'))[0].n as number;

  const expectTimedOut = async (client: RawClient) => {
    const received = await client.untilClosed();
    const [head, body] = received.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(head.toLowerCase()).toContain('connection: close');
    expect(head.toLowerCase()).toContain('x-content-type-options: nosniff');
    expect(JSON.parse(body)).toEqual({ message: 'The request took too long to arrive.' });
  };

  it.each([
    ['a create (answered ahead of Fastify)', '/api/v1/secrets'],
    ['a route Fastify answers', '/api/v1/auth/register'],
  ])('cuts %s whose JSON body stops half-way, and stores nothing', async (_name, path) => {
    const before = await secretCount();
    const body = JSON.stringify({ content: 'half of it', expire_mode: 'views', expire_value: 1 });
    const client = new RawClient(port());
    const started = Date.now();
    client.write(request(path, { 'content-type': 'application/json', 'content-length': String(body.length) }, body.slice(0, 10)));
    await expectTimedOut(client);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(await secretCount()).toBe(before);
  });

  it("keeps the caller's X-Request-Id on the 408", async () => {
    const client = new RawClient(port());
    client.write(
      request('/api/v1/secrets', { 'content-type': 'application/json', 'content-length': '100', 'x-request-id': 'ci-run.42:abc' }, '{"con'),
    );
    const [head] = (await client.untilClosed()).split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(head).toContain('\r\nx-request-id: ci-run.42:abc\r\n');
  });

  it('cuts a chunked body that stops sending chunks', async () => {
    const client = new RawClient(port());
    client.write(request('/api/v1/secrets', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, '5\r\n{"con\r\n'));
    await expectTimedOut(client);
  });

  it('cuts the second request on a keep-alive connection too, not only the first', async () => {
    const body = JSON.stringify({ content: 'first', expire_mode: 'views', expire_value: 1 });
    const client = new RawClient(port());
    client.write(request('/api/v1/secrets', { 'content-type': 'application/json', 'content-length': String(body.length) }, body));
    expect((await client.answer()).status).toBe(201);
    // Longer than the idle time between the two requests: only a stalled body is timed.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));
    client.write(
      request('/api/v1/secrets', { 'content-type': 'application/json', 'content-length': String(body.length) }, body.slice(0, 5)),
    );
    await expectTimedOut(client);
  });

  it('times a stalled body pipelined behind a complete request', async () => {
    const body = JSON.stringify({ content: 'first', expire_mode: 'views', expire_value: 1 });
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
    for (const path of ['/api/v1/secrets', '/api/v1/auth/register']) {
      const client = new RawClient(port());
      // One write: Node reads the second request before the first one's body has ended.
      client.write(request(path, headers, body) + request(path, headers, body.slice(0, 5)));
      const received = await client.untilClosed();
      expect([path, received.match(/HTTP\/1\.1 \d{3}/g)]).toEqual([
        path,
        [expect.stringMatching(/^HTTP\/1\.1 (201|422)$/), 'HTTP/1.1 408'],
      ]);
    }
  });

  // The row lock that holds the first answer back needs a second connection, which PGlite does not serve.
  (databaseMode() === 'postgresql' ? it : it.skip)(
    'answers a stalled pipelined body only after the answer owed to the request before it',
    async () => {
      const secret = await newSecret(t.baseUrl, { content: 'seen once', expire_value: 1 });
      const holder = new Client({ connectionString: t.db.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM secrets WHERE id = $1 FOR UPDATE', [secret.id]);
        const client = new RawClient(port());
        client.write(request(`/api/v1/links/${secret.token}/reveal`, { 'content-type': 'application/json', 'content-length': '2' }, '{}'));
        await new Promise((resolve) => setTimeout(resolve, 100));
        client.write(request('/api/v1/secrets', { 'content-type': 'application/json', 'content-length': '50' }, '{"con'));
        // Longer than the idle time: the stalled body's 408 waits for the reveal's answer.
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));
        await holder.query('COMMIT');
        const received = await client.untilClosed();
        expect(received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 408']);
        expect(received).toContain('seen once');
      } finally {
        await holder.end();
      }
    },
  );

  it('lets a slow body through while it keeps arriving, within twice the idle time', async () => {
    const body = JSON.stringify({ content: 'slowly but surely', expire_mode: 'views', expire_value: 1 });
    const client = new RawClient(port());
    client.write(request('/api/v1/secrets', { 'content-type': 'application/json', 'content-length': String(body.length) }));
    // Longer in all than the idle time, never idle that long.
    const began = performance.now();
    for (const piece of body.match(/.{1,8}/g)!) {
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 8));
      client.write(piece);
    }
    // The premise: the body took longer than one idle window to arrive.
    expect(performance.now() - began).toBeGreaterThan(IDLE_MS);
    const answer = await client.answer();
    expect(answer.status).toBe(201);
    // The connection stays open for the next request.
    client.write(request('/api/v1/secrets', { 'content-type': 'application/json', 'content-length': String(body.length) }, body));
    expect((await client.answer()).status).toBe(201);
    client.socket.destroy();
  });

  it.each([
    ['a create (answered ahead of Fastify)', '/api/v1/secrets'],
    ['a route Fastify answers', '/api/v1/auth/register'],
  ])('cuts %s whose small body keeps trickling, never idle, past twice the idle time', async (_name, path) => {
    const client = new RawClient(port());
    client.write(request(path, { 'content-type': 'application/json', 'content-length': '1000' }, '{"content":"'));
    // A byte every quarter of the idle time: never idle, and 250 s to send it all.
    const drip = setInterval(() => client.write('a'), IDLE_MS / 4);
    try {
      const cut = await Promise.race([
        expectTimedOut(client).then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), IDLE_MS * 10)),
      ]);
      expect(cut).toBe(true);
    } finally {
      clearInterval(drip);
      client.socket.destroy();
    }
  });

  it.each([
    ['over 64 KiB', MIB],
    ['of 64 KiB or less', 32 * 1024],
  ])('cuts an upload %s that keeps sending, but slower than 1 KiB/s, and frees its place', async (_size, fileBytes) => {
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const boundary = `----trickle${randomBytes(6).toString('hex')}`;
    const head =
      `--${boundary}\r\nContent-Disposition: form-data; name="expire_mode"\r\n\r\nviews\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="expire_value"\r\n\r\n1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const headers = {
      ...bearer(pat),
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + fileBytes),
    };
    // A team has four upload places: four trickling uploads take them all.
    const clients = Array.from({ length: 4 }, () => new RawClient(port()));
    for (const client of clients) client.write(request('/api/v1/secrets', headers, head));
    // Never idle for IDLE_MS (a gap of a quarter of it), at 500 bytes a second.
    const trickle = setInterval(() => clients.forEach((client) => client.write(Buffer.alloc(IDLE_MS / 8))), IDLE_MS / 4);
    try {
      const closed = await Promise.race([
        Promise.all(clients.map((client) => expectTimedOut(client))).then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), IDLE_MS * 10)),
      ]);
      expect(closed).toBe(true);
    } finally {
      clearInterval(trickle);
      clients.forEach((client) => client.socket.destroy());
    }
    // Their places are free again: the team's next upload goes through.
    const done = new RawClient(port());
    const tail = `\r\n--${boundary}--\r\n`;
    done.write(request('/api/v1/secrets', { ...headers, 'content-length': String(head.length + 3 + tail.length) }, `${head}abc${tail}`));
    expect((await done.answer()).status).toBe(201);
    done.socket.destroy();
  });

  it('leaves nothing of a body’s timing on a keep-alive connection once the body has arrived', async () => {
    const { pat } = await newTeamOn('enterprise', t.baseUrl, t.dataSource);
    const server: Server = t.app.getHttpServer();
    const sockets: Socket[] = [];
    const connected = (socket: Socket) => sockets.push(socket);
    server.on('connection', connected);
    const client = new RawClient(port());
    try {
      const closeListeners: number[] = [];
      for (const size of [10, 70 * 1024]) {
        // Small and large bodies (over 64 KiB, so paced too), each many times over one connection.
        const body = JSON.stringify({ content: 'x'.repeat(size), expire_mode: 'views', expire_value: 1 });
        for (let i = 0; i < 12; i++) {
          client.write(
            request('/api/v1/secrets', { ...bearer(pat), 'content-type': 'application/json', 'content-length': String(body.length) }, body),
          );
          expect((await client.answer()).status).toBe(201);
          closeListeners.push(sockets[0].listenerCount('close'));
        }
      }
      expect(sockets).toHaveLength(1);
      expect(new Set(closeListeners).size).toBe(1);
    } finally {
      server.off('connection', connected);
      client.socket.destroy();
    }
  });

  it('cuts a file upload that stops sending and removes the parts it stored', async () => {
    const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const strayParts = async () =>
      (
        await t.dataSource.query(
          'SELECT count(*)::int AS n FROM secret_file_parts p WHERE NOT EXISTS (SELECT 1 FROM secrets s WHERE s.id = p.secret_id)',
        )
      )[0].n as number;
    const boundary = `----stall${randomBytes(6).toString('hex')}`;
    const head =
      `--${boundary}\r\nContent-Disposition: form-data; name="expire_mode"\r\n\r\nviews\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="expire_value"\r\n\r\n1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const client = new RawClient(port());
    client.write(
      request(
        '/api/v1/secrets',
        {
          ...bearer(pat),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + 8 * 1024 * 1024),
        },
        head,
      ),
    );
    // Several parts' worth, so some are stored before the upload stalls.
    client.write(randomBytes(3 * 1024 * 1024));
    expect(await eventually(async () => (await strayParts()) > 0, 10)).toBe(true);
    await expectTimedOut(client);
    expect(await eventually(async () => (await strayParts()) === 0, 10)).toBe(true);
  });
});

describe('a body over BODY_LIMIT_BYTES', () => {
  const t = useTestApp({ env: { BODY_LIMIT_BYTES: '100000' } });

  it.each([
    ['sent at once', {}],
    ['sent after 100 Continue', { expect: '100-continue' }],
  ])(
    'is answered 413, then read and dropped: a client still sending is not reset, and the connection serves its next request (%s)',
    async (_way, expectHeader: Record<string, string>) => {
      const client = new RawClient(Number(new URL(t.baseUrl).port));
      const size = MIB;
      const opening = '{"content":"';
      client.write(
        request('/api/v1/secrets', { 'content-type': 'application/json', 'content-length': String(size), ...expectHeader }, opening),
      );
      let refused = await client.answer();
      if (expectHeader.expect) {
        expect(refused.status).toBe(100);
        refused = await client.answer();
      }
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body)).toEqual({ message: 'The request body is too large.' });
      expect(refused.headers.toLowerCase()).not.toContain('connection: close');
      // The rest of the body, sent after the answer arrived.
      await new Promise<void>((resolve, reject) =>
        client.socket.write(Buffer.alloc(size - opening.length, 'a'), (error) => (error ? reject(error) : resolve())),
      );
      const next = JSON.stringify({ content: 'next', expire_mode: 'views', expire_value: 1 });
      client.write(request('/api/v1/secrets', { 'content-type': 'application/json', 'content-length': String(next.length) }, next));
      expect((await client.answer()).status).toBe(201);
      client.socket.destroy();
    },
  );
});
