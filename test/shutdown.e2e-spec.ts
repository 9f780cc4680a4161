import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get as httpGet, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { freePort } from './support/free-port';
import { newTeam } from './support/factories';
import { generatedBytes, uploadFile } from './support/multipart';
import { setPlanAt } from './support/teams';
import { logEntries, logged, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { testEnv } from './support/test-app';

interface HeldRequest {
  /** Sends the rest of the body. */
  finish(): void;
  response: Promise<{ status: number; body: string }>;
}

/**
 * A request the server has started (headers and part of the body are in) but cannot answer
 * until the test sends the rest: in flight for exactly as long as the test wants.
 */
function heldPost(url: string, body: unknown): HeldRequest {
  const payload = Buffer.from(JSON.stringify(body));
  const req = httpRequest(url, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': payload.length },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
  });
  req.write(payload.subarray(0, 10));
  return { finish: () => req.end(payload.subarray(10)), response };
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Rate limits on, so the requests held in flight are counted as the server drains. */
const counters: [string, Record<string, string>][] = [['in process', { RATE_LIMIT_ENABLED: 'true' }]];
if (process.env.REDIS_URL) counters.push(['in Redis', { RATE_LIMIT_ENABLED: 'true', REDIS_URL: process.env.REDIS_URL }]);

describe.each(counters)('SIGTERM, rate-limit counters %s', (_where, env) => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db, { ...env, LOG_LEVEL: 'info' }));
  });
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await db.drop();
  });

  it('stops accepting connections, finishes the requests in flight, then exits 0', async () => {
    const port = Number(new URL(server.baseUrl).port);
    const held = heldPost(`${server.baseUrl}/api/v1/auth/register`, {
      email: 'in-flight@example.test',
      password: 'a long enough password',
      name: 'In Flight',
    });
    // Create is answered ahead of Fastify (common/http/direct-routes): it must be waited for too.
    const heldDirect = heldPost(`${server.baseUrl}/api/v1/secrets`, { content: 'in flight', expire_mode: 'views', expire_value: 1 });
    // Let the server read the headers, so the request counts as started before the signal.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const exited = server.stop();
    expect(await eventually(async () => !(await acceptsConnections(port)), 10)).toBe(true);
    expect(server.child.exitCode).toBeNull();
    // An impatient second SIGTERM (a supervisor's retry) does not cut the drain short.
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([server.child.exitCode, server.child.signalCode]).toEqual([null, null]);

    held.finish();
    heldDirect.finish();
    const res = await held.response;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body).data.email).toBe('in-flight@example.test');
    const direct = await heldDirect.response;
    expect(direct.status).toBe(201);
    expect(JSON.parse(direct.body).data.url).toContain('/s/');
    expect(await exited).toBe(0);
    // Said as JSON log lines, as everything else is, so a log pipeline reads them too.
    expect(await eventually(() => server.output().includes('drained; exiting'), 5)).toBe(true);
    expect(logged(server.output(), 'Shutdown')).toEqual([
      [30, 'SIGTERM: draining: no new connections, finishing the requests in flight'],
      [30, 'SIGTERM: already stopping, waiting for in-flight requests'],
      [30, 'SIGTERM: drained; exiting'],
    ]);
  });
});

/** GET over `agent` (keep-alive, as a load balancer's upstream connections are): the status and the Connection header. */
function keptAliveGet(url: string, agent: Agent): Promise<{ status: number; connection?: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    }).once('error', reject);
  });
}

describe('SIGTERM with SHUTDOWN_DELAY_MS', () => {
  const delayMs = 3_000;
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db, { SHUTDOWN_DELAY_MS: String(delayMs), LOG_LEVEL: 'info' }));
  });
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await db.drop();
  });

  it('keeps answering for the delay, not ready and closing every connection, so no keep-alive client is reset', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    let noticedAt = Infinity;
    // Until a while after readiness was seen failing: a load balancer has stopped sending by then.
    const sending = () => Date.now() < noticedAt + delayMs / 4;
    const failures: string[] = [];
    const afterNotice: (string | undefined)[] = [];
    const client = async () => {
      while (sending()) {
        const sentAt = Date.now();
        try {
          const res = await keptAliveGet(`${server.baseUrl}/healthz`, agent);
          if (sentAt > noticedAt) afterNotice.push(`${res.status} ${res.connection}`);
        } catch (error) {
          failures.push((error as NodeJS.ErrnoException).code ?? String(error));
        }
      }
    };
    const clients = Promise.all(Array.from({ length: 4 }, client));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = Date.now();
    const exited = server.stop();
    // As a load balancer sees it: the signal is handled a moment after it is sent, sooner or later as the machine is busy.
    const notReady = async () => {
      const res = await fetch(`${server.baseUrl}/readyz`).catch(() => null);
      return res?.status === 503 && res.headers.get('connection') === 'close';
    };
    expect(await eventually(notReady, 2, 25)).toBe(true);
    noticedAt = Date.now();
    // Probes go on (a load balancer's, every few seconds): the reason is logged once, not with each.
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(503);
    await clients;
    agent.destroy();

    expect(failures).toEqual([]);
    expect(afterNotice.length).toBeGreaterThan(0);
    expect(new Set(afterNotice)).toEqual(new Set(['200 close']));
    expect(await exited).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(delayMs);
    expect(await eventually(() => server.output().includes('drained; exiting'), 5)).toBe(true);
    expect(logged(server.output(), 'Shutdown')).toEqual([
      [30, `SIGTERM: not ready, still serving for SHUTDOWN_DELAY_MS (${delayMs} ms) before draining`],
      [30, 'SIGTERM: draining: no new connections, finishing the requests in flight'],
      [30, 'SIGTERM: drained; exiting'],
    ]);
    expect(logged(server.output(), 'Readiness')).toEqual([[40, 'not ready: Shutting down.']]);
  });
});

describe('a request that arrives as the server closes', () => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'info' }));
  });
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await db.drop();
  });

  it("gets the contract's 503, with X-Request-Id, Retry-After and an access line", async () => {
    const port = Number(new URL(server.baseUrl).port);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // Half a request's head: the connection is busy, so the close waits for it rather than closing it as idle.
    socket.write('GET /api/v1/auth/me HTTP/1.1\r\nHost: localhost\r\n');
    const exited = server.stop();
    expect(await eventually(async () => !(await acceptsConnections(port)), 10)).toBe(true);
    socket.write('X-Request-Id: arrived-closing\r\n\r\n');
    await closed;
    expect(await exited).toBe(0);

    const [head, body] = answer.split('\r\n\r\n');
    const [status, ...fields] = head.split('\r\n');
    const headers = Object.fromEntries(
      fields.map((field) => [field.slice(0, field.indexOf(':')).toLowerCase(), field.slice(field.indexOf(':') + 1).trim()]),
    );
    expect(status).toMatch(/^HTTP\/1\.1 503 /);
    expect(headers).toMatchObject({
      'x-request-id': 'arrived-closing',
      'retry-after': expect.any(String),
      connection: 'close',
      'x-content-type-options': 'nosniff',
    });
    expect(Object.keys(JSON.parse(body) as object)).toEqual(['message']);
    const access = logEntries(server.output()).filter((entry) => (entry as { req?: { id: string } }).req?.id === 'arrived-closing');
    expect(access.map((entry) => (entry as { res?: { status: number } }).res?.status)).toEqual([503]);
  });
});

describe('SIGTERM during a file download slower than SHUTDOWN_TIMEOUT_MS', () => {
  it('exits 1 saying it abandons the download, naming its secret', async () => {
    const db = await createTestDatabase();
    const server = await startServerProcess(serverEnvOn(db, { SHUTDOWN_TIMEOUT_MS: '1500', LOG_LEVEL: 'warn' }));
    try {
      const team = await newTeam(server.baseUrl);
      await setPlanAt(db.url, team.owner.teamId, 'enterprise');
      const size = 16 * 1024 * 1024;
      const created = await uploadFile(
        server.baseUrl,
        team.pat,
        { expire_mode: 'views', expire_value: '1' },
        { name: 'big.bin', type: 'application/octet-stream', data: generatedBytes(size, 'big'), size },
      );
      expect(created.status).toBe(201);
      // A recipient that reads nothing: the download outlasts any timeout.
      const downloading = new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${server.baseUrl}/api/v1/links/${String(created.body.data!.token)}/reveal`, { method: 'POST' }, (res) =>
          resolve(res.statusCode ?? 0),
        );
        req.on('error', reject);
        req.end();
      });
      expect(await downloading).toBe(200);
      expect(await server.stop()).toBe(1);
      expect(await eventually(() => server.output().includes('; exiting'), 5)).toBe(true);
      expect(logged(server.output(), 'Shutdown')).toEqual([
        [
          40,
          `SIGTERM: requests still in flight after SHUTDOWN_TIMEOUT_MS (1500 ms), abandoning 1 file download(s) (secrets ${String(created.body.data!.id)}); exiting`,
        ],
      ]);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await db.drop();
    }
  }, 60_000);
});

describe('a signal during start-up', () => {
  it('is answered once the server is up, by the same drain: exit 0, the embedded database stopped, DATA_DIR released', async () => {
    // The embedded database, whose migrations make a start that takes seconds.
    const env = testEnv({ PORT: String(await freePort()) });
    const lock = join(env.DATA_DIR, 'oncelink.pid');
    try {
      const child = spawn(process.execPath, [join(__dirname, '../dist/src/main.js')], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
      // DATA_DIR's lock is taken as the embedded database starts, before it and the app are up.
      expect(await eventually(() => existsSync(lock), 30, 10)).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
      expect(existsSync(lock)).toBe(false);
    } finally {
      rmSync(env.DATA_DIR, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('SIGHUP (a closing terminal)', () => {
  it('drains and exits 0, as SIGTERM does', async () => {
    const db = await createTestDatabase();
    try {
      const server = await startServerProcess(serverEnvOn(db));
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGHUP');
      expect(await exited).toBe(0);
    } finally {
      await db.drop();
    }
  });
});

describe('SIGTERM to the quick start’s `npm start`', () => {
  it('reaches the server, and npm exits only once the server has', async () => {
    const port = await freePort();
    // The embedded database, as the quick start runs; `--ignore-scripts` skips prestart's build (dist is built).
    const env = testEnv({ PORT: String(port) });
    const npm = spawn('npm', ['start', '--ignore-scripts'], {
      cwd: join(__dirname, '..'),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    const ready = () =>
      fetch(`http://127.0.0.1:${port}/readyz`).then(
        (res) => res.ok,
        () => false,
      );
    expect(await eventually(ready, 60, 100)).toBe(true);
    // The process that holds DATA_DIR: the server itself, not npm or a shell between them.
    const server = Number(readFileSync(join(env.DATA_DIR, 'oncelink.pid'), 'utf8'));
    const running = () => {
      try {
        process.kill(server, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      npm.kill('SIGTERM');
      await exited;
      expect(running()).toBe(false);
    } finally {
      if (running()) process.kill(server, 'SIGKILL');
    }
  });
});
