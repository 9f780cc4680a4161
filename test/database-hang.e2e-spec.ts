import { randomBytes } from 'node:crypto';
import { createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import { ABILITIES } from '../src/auth/ability';
import { adminQuery, createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { bearer, newToken, newUser } from './support/factories';
import { newSecret } from './support/secrets';
import { logged, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

/** A TCP hop in front of PostgreSQL that can freeze: connections stay open and nothing passes, as with a hung peer. */
async function freezableProxy(target: {
  host: string;
  port: number;
}): Promise<{ port: number; freeze(frozen: boolean): void; loseConnections(): void; close(): void }> {
  let pairs: [Socket, Socket][] = [];
  const lost: [Socket, Socket][] = [];
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = new Socket().connect(target.port, target.host);
    pairs.push([client, upstream]);
    client.pipe(upstream);
    upstream.pipe(client);
    if (frozen) [client, upstream].forEach((socket) => socket.pause());
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    // Paused, what is sent waits in the sockets' buffers and passes, in order, once resumed.
    freeze: (value) => {
      frozen = value;
      for (const pair of pairs) pair.forEach((socket) => (value ? socket.pause() : socket.resume()));
    },
    // The connections open now stay open and frozen for good, as after a failover behind the same
    // address or a firewall that forgot them; only new ones pass once thawed.
    loseConnections: () => {
      lost.push(...pairs);
      pairs = [];
    },
    close: () => {
      for (const pair of [...pairs, ...lost]) pair.forEach((socket) => socket.destroy());
      server.close();
    },
  };
}

onPostgres('a database that hangs rather than refusing', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let proxy: Awaited<ReturnType<typeof freezableProxy>>;
  let proxied: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const url = new URL(db.url);
    proxy = await freezableProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    proxied = url.toString();
    server = await startServerProcess({
      ...serverEnvOn(db),
      DATABASE_URL: proxied,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
    });
  });
  afterAll(async () => {
    proxy.freeze(false);
    await server.stop();
    proxy.close();
    await db.drop();
  });

  it('makes /readyz answer 503 within seconds, and 200 again once it answers, logging why when it changes', async () => {
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    proxy.freeze(true);
    const started = Date.now();
    const frozen = await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(15_000) });
    expect([frozen.status, frozen.headers.get('retry-after')]).toEqual([503, '5']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await frozen.json()).message).toBe('Database unavailable.');
    expect((await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(15_000) })).status).toBe(503);
    proxy.freeze(false);
    expect(await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 10)).toBe(true);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    // Once as it stopped, with why, and once as it came back; not with each probe.
    expect(await eventually(() => server.output().includes('ready again'), 5)).toBe(true);
    expect(logged(server.output(), 'Readiness')).toEqual([
      [40, 'not ready: Database unavailable. (no answer within 2 s)'],
      [40, 'ready again'],
    ]);
  });

  it('fails queries it leaves unanswered after DATABASE_QUERY_TIMEOUT_MS with a 503, and recovers by itself once it answers', async () => {
    const app = await startServerProcess({
      ...serverEnvOn(db),
      DATABASE_URL: proxied,
      DATABASE_QUERY_TIMEOUT_MS: '1000',
      DATABASE_POOL_SIZE: '2',
    });
    try {
      const user = await newUser(app.baseUrl);
      const pat = await newToken(app.baseUrl, user);
      const secret = await newSecret(app.baseUrl, { expire_value: 10 });
      const send = (path: string, body?: object, headers: Record<string, string> = {}) =>
        fetch(`${app.baseUrl}${path}`, {
          method: body ? 'POST' : 'GET',
          headers: { 'content-type': 'application/json', ...headers },
          body: body && JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        }).then(
          async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() }),
          (error: Error) => ({ status: error.name, retryAfter: null, body: '' }),
        );
      const create = () => send('/api/v1/secrets', { content: 'x', expire_mode: 'views', expire_value: 1 });
      const reveal = () => send(`/api/v1/links/${secret.token}/reveal`, {});
      const account = () => send('/api/v1/account', undefined, bearer(pat));
      const login = () =>
        send('/api/v1/auth/token', { email: user.email, password: user.password, device_name: 'test', abilities: [...ABILITIES] });
      expect([(await create()).status, (await account()).status]).toEqual([201, 200]);

      proxy.freeze(true);
      const started = Date.now();
      // More than the pool holds: the hot path's statements (Sql) and TypeORM's (the login's, readiness's) each hold a connection.
      const during = await Promise.all([create(), reveal(), login(), account(), create(), login(), send('/readyz')]);
      expect(during.map(({ status, retryAfter }) => [status, retryAfter])).toEqual(Array(during.length).fill([503, '5']));
      expect(Date.now() - started).toBeLessThan(10_000);

      proxy.loseConnections();
      proxy.freeze(false);
      // The same process, not restarted: the connections it gave up on no longer hold the pool.
      for (const request of [create, reveal, account, login]) {
        expect(await eventually(async () => (await request()).status !== 503, 20, 250)).toBe(true);
      }
      expect([(await create()).status, (await reveal()).status, (await account()).status, (await login()).status]).toEqual([
        201, 200, 200, 201,
      ]);
    } finally {
      app.child.kill('SIGKILL');
      proxy.freeze(false);
    }
  }, 60_000);

  it('stops waiting for a request stuck on it after SHUTDOWN_TIMEOUT_MS: exit 1, saying why', async () => {
    const stuck = await startServerProcess({ ...serverEnvOn(db), DATABASE_URL: proxied, SHUTDOWN_TIMEOUT_MS: '2000', LOG_LEVEL: 'warn' });
    proxy.freeze(true);
    try {
      const create = { content: 'x', expire_mode: 'views', expire_value: 1 };
      const pending = fetch(`${stuck.baseUrl}/api/v1/secrets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(create),
      }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      expect(await stuck.stop()).toBe(1);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await eventually(() => stuck.output().includes('; exiting'), 5)).toBe(true);
      expect(logged(stuck.output(), 'Shutdown')).toEqual([
        [40, 'SIGTERM: requests still in flight after SHUTDOWN_TIMEOUT_MS (2000 ms); exiting'],
      ]);
      await pending;
    } finally {
      stuck.child.kill('SIGKILL');
      proxy.freeze(false);
    }
  }, 30_000);

  it('says it waited on the database pool, not on requests, when closing the pool is what hangs', async () => {
    const stuck = await startServerProcess({ ...serverEnvOn(db), DATABASE_URL: proxied, SHUTDOWN_TIMEOUT_MS: '2000', LOG_LEVEL: 'warn' });
    try {
      proxy.freeze(true);
      // Answered 503 in 2 s, its query still waits on a pooled connection that the pool's close waits for.
      expect((await fetch(`${stuck.baseUrl}/readyz`)).status).toBe(503);
      expect(await stuck.stop()).toBe(1);
      expect(await eventually(() => stuck.output().includes('; exiting'), 5)).toBe(true);
      expect(logged(stuck.output(), 'Shutdown')).toEqual([
        [40, 'SIGTERM: the workers or the database pool still closing after SHUTDOWN_TIMEOUT_MS (2000 ms); exiting'],
      ]);
    } finally {
      stuck.child.kill('SIGKILL');
      proxy.freeze(false);
    }
  }, 30_000);
});

onPostgres('a statement the database holds up on a lock', () => {
  let db: TestDatabase;
  let holder: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    holder = new Client({ connectionString: db.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder.end();
    await db.drop();
  });

  const reveal = (app: ServerProcess, token: string) =>
    fetch(`${app.baseUrl}/api/v1/links/${token}/reveal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(15_000),
    }).then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), message: (await res.json()).message }));
  const viewsRemaining = async (id: string) => (await holder.query(`SELECT views_remaining FROM secrets WHERE id = $1`, [id])).rows;

  it('is ended by PostgreSQL before DATABASE_QUERY_TIMEOUT_MS, answered 503 and rolled back: the view is not spent once the lock goes', async () => {
    // One connection: the one migrations ran on (exempt from the timeout) is the one the reveal gets.
    const app = await startServerProcess(
      serverEnvOn(db, { DATABASE_QUERY_TIMEOUT_MS: '1000', DATABASE_POOL_SIZE: '1', LOG_LEVEL: 'warn' }),
    );
    try {
      const secret = await newSecret(app.baseUrl);
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM secrets FOR UPDATE');
      try {
        expect(await reveal(app, secret.token)).toEqual({ status: 503, retryAfter: '5', message: 'Service temporarily unavailable.' });
        // Past the client's own timeout too: a statement only the client gave up on would run now.
        await new Promise((resolve) => setTimeout(resolve, 1500));
      } finally {
        await holder.query('COMMIT');
      }
      expect((await reveal(app, secret.token)).status).toBe(200);
      expect((await reveal(app, secret.token)).status).toBe(410);
    } finally {
      await app.stop();
    }
  });

  it('answers a lock wait that lock_timeout ends 503 with Retry-After: it was rolled back', async () => {
    await adminQuery(db.adminUrl!, `ALTER DATABASE "${db.name}" SET lock_timeout = '300ms'`);
    const app = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn' }));
    try {
      const secret = await newSecret(app.baseUrl);
      const before = await viewsRemaining(secret.id);
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM secrets FOR UPDATE');
      try {
        expect(await reveal(app, secret.token)).toEqual({ status: 503, retryAfter: '5', message: 'Service temporarily unavailable.' });
      } finally {
        await holder.query('COMMIT');
      }
      expect(await viewsRemaining(secret.id)).toEqual(before);
    } finally {
      await app.stop();
      await adminQuery(db.adminUrl!, `ALTER DATABASE "${db.name}" RESET lock_timeout`);
    }
  });
});
