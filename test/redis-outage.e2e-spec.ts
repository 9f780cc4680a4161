import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createTestDatabase, TestDatabase } from './support/database';
import { freePort } from './support/free-port';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { eventually } from './support/eventually';
import { newUser } from './support/factories';
import { ABILITIES } from '../src/auth/ability';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const withRedisServer = hasRedisServer ? describe : describe.skip;

/** A Redis of this spec's own, so stopping it disturbs no one else's counters. */
async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  redis.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => Promise.resolve(output.includes('Ready to accept connections')), 10);
  return redis;
}

withRedisServer('when Redis, which holds the rate-limit counters, goes away', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let redis: ChildProcess;
  let redisPort: number;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    db = await createTestDatabase();
    server = await startServerProcess(
      serverEnvOn(db, { REDIS_URL: `redis://127.0.0.1:${redisPort}`, RATE_LIMIT_ENABLED: 'true', LOG_LEVEL: 'warn' }),
    );
  });
  afterAll(async () => {
    await server.stop();
    redis.kill('SIGKILL');
    await db.drop();
  });

  const linkLookup = () => fetch(`${server.baseUrl}/api/v1/links/AAAAAAAAAAAAAAAAAAAAAAAA`);

  it('answers 503 with Retry-After at once, says it is not ready, and recovers when Redis is back', async () => {
    expect((await linkLookup()).status).toBe(404);

    redis.kill('SIGTERM');
    await once(redis, 'exit');
    const started = Date.now();
    const down = await linkLookup();
    expect([down.status, await down.json(), down.headers.get('retry-after')]).toEqual([
      503,
      { message: 'Service temporarily unavailable.' },
      '5',
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(503);
    // With what lay behind it, as a database's outage is logged.
    const said = () => /not ready: Redis unavailable\. \(.+\)/.test(server.output());
    expect(await eventually(said, 10)).toBe(true);

    redis = await startRedis(redisPort);
    expect(await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 15)).toBe(true);
    expect((await linkLookup()).status).toBe(404);
    expect(server.output()).not.toContain('Unhandled error event');
  });

  it('answers 503 within seconds while Redis hangs, connected but silent, says it is not ready, and recovers when it resumes', async () => {
    expect((await linkLookup()).status).toBe(404);

    redis.kill('SIGSTOP');
    try {
      const started = Date.now();
      const hung = await fetch(`${server.baseUrl}/api/v1/links/AAAAAAAAAAAAAAAAAAAAAAAA`, { signal: AbortSignal.timeout(15_000) });
      expect([hung.status, await hung.json(), hung.headers.get('retry-after')]).toEqual([
        503,
        { message: 'Service temporarily unavailable.' },
        '5',
      ]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(15_000) })).status).toBe(503);
    } finally {
      redis.kill('SIGCONT');
    }
    expect(await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 15)).toBe(true);
    expect((await linkLookup()).status).toBe(404);
  });

  it('spends nothing for the counts it answered 503 while Redis hung, so its owner logs in at once when it resumes', async () => {
    const user = await newUser(server.baseUrl);
    const login = (password: string) =>
      fetch(`${server.baseUrl}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password, device_name: 'test', abilities: [...ABILITIES] }),
        signal: AbortSignal.timeout(15_000),
      });
    const wrong = await login('not the password');
    // The pair's budget: 10 logins a minute, one spent.
    expect([wrong.status, wrong.headers.get('x-ratelimit-remaining')]).toEqual([401, '9']);

    redis.kill('SIGSTOP');
    try {
      // As many as the budget holds: each count is sent to Redis, which runs it once it resumes.
      const hung = await Promise.all(Array.from({ length: 10 }, () => login(user.password)));
      expect(hung.map((res) => res.status)).toEqual(Array(10).fill(503));
    } finally {
      redis.kill('SIGCONT');
    }
    const after = await login(user.password);
    expect([after.status, after.headers.get('x-ratelimit-remaining')]).toEqual([201, '8']);
  });

  it("shows the budget's limit, none of it left and its window's length on those 503s, as API.md puts X-RateLimit-* on every answer", async () => {
    redis.kill('SIGTERM');
    await once(redis, 'exit');
    try {
      const down = await linkLookup();
      expect(down.status).toBe(503);
      // The link routes' budget: 300 an hour per address.
      expect(['limit', 'remaining', 'reset'].map((name) => down.headers.get(`x-ratelimit-${name}`))).toEqual(['300', '0', '3600']);
    } finally {
      redis = await startRedis(redisPort);
    }
    expect(await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 15)).toBe(true);
  });
});
