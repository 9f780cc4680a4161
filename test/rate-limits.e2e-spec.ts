import { createHash, randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { createTestDatabase, TestDatabase } from './support/database';
import { bearer, newToken, newUser, TestUser } from './support/factories';
import { newSecret } from './support/secrets';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { setPlan } from './support/teams';
import { useTestApp } from './support/test-app';

const limited = (overrides: Record<string, string>) => ({ RATE_LIMIT_ENABLED: 'true', ...overrides });

describe('rate limits', () => {
  describe('per token, by plan', () => {
    const t = useTestApp({
      env: limited({ RATE_LIMIT_FREE_PER_MINUTE: '5', RATE_LIMIT_FREE_PER_SECOND: '100', RATE_LIMIT_PRO_PER_MINUTE: '8' }),
    });

    it('counts down in X-RateLimit-* headers, then answers 429 with Retry-After', async () => {
      const user = await newUser(t.baseUrl);
      const pat = await newToken(t.baseUrl, user);
      const remaining: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat)).expect(200);
        expect(res.headers['x-ratelimit-limit']).toBe('5');
        expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
        remaining.push(res.headers['x-ratelimit-remaining']);
      }
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);
      const refused = await supertest(t.baseUrl).get('/api/v1/secrets').set(bearer(pat)).expect(429);
      expect(refused.body).toEqual({ message: 'Too Many Attempts.' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      const other = await newToken(t.baseUrl, user);
      await supertest(t.baseUrl).get('/api/v1/account').set(bearer(other)).expect(200);
    });

    it('puts the headers on answers that never reached a route, too', async () => {
      const missing = await supertest(t.baseUrl).get('/api/v1/nothing-here').expect(404);
      expect(missing.headers['x-ratelimit-limit']).toBe('60');
      const broken = await supertest(t.baseUrl).post('/api/v1/auth/register').set('Content-Type', 'application/json').send('{').expect(400);
      expect(Number(broken.headers['x-ratelimit-remaining'])).toBeLessThan(60);
      // URLs Fastify cannot route: an escape that does not decode, a parameter past its length.
      for (const [path, status] of [
        ['/api/v1/links/abc%zz', 400],
        [`/api/v1/links/${'a'.repeat(101)}`, 414],
      ] as const) {
        const unroutable = await supertest(t.baseUrl).get(path).expect(status);
        expect([path, unroutable.headers['x-ratelimit-limit'], Number(unroutable.headers['x-ratelimit-remaining'])]).toEqual([
          path,
          '60',
          expect.any(Number),
        ]);
        expect(unroutable.headers['x-ratelimit-reset']).toBeDefined();
      }
      const health = await supertest(t.baseUrl).get('/healthz').expect(200);
      expect(health.headers['x-ratelimit-limit']).toBeUndefined();
    });

    it('charges answers that never reached a route to the valid token they carry, else to the address', async () => {
      const pat = await newToken(t.baseUrl, await newUser(t.baseUrl));
      const refusals = [
        supertest(t.baseUrl).post('/api/v1/secrets').set(bearer(pat)).set('Content-Type', 'application/json').send('{'),
        supertest(t.baseUrl).post('/api/v1/team/members').set(bearer(pat)).set('Content-Type', 'application/json').send('{'),
        supertest(t.baseUrl).post('/api/v1/teams').set(bearer(pat)).set('Content-Type', 'text/plain').send('name'),
        supertest(t.baseUrl).get('/api/v1/nothing-here').set(bearer(pat)),
      ];
      const answers = [];
      for (const refusal of refusals) answers.push(await refusal);
      expect(answers.map((res) => [res.status, res.headers['x-ratelimit-limit'], res.headers['x-ratelimit-remaining']])).toEqual([
        [400, '5', '4'],
        [400, '5', '3'],
        [415, '5', '2'],
        [404, '5', '1'],
      ]);
      // A token that is not valid: the address's budget, as on a route.
      const forged = await supertest(t.baseUrl)
        .get('/api/v1/nothing-here')
        .set(bearer(`${pat.slice(0, -4)}AAAA`))
        .expect(404);
      expect(forged.headers['x-ratelimit-limit']).toBe('60');
      await supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat)).expect(200);
      await supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat)).expect(429);
    });

    it('gives a pro team’s token its larger budget, past the free one, and refuses the request after it', async () => {
      const user = await newUser(t.baseUrl);
      await setPlan(t.dataSource, user.teamId, 'pro');
      const pat = await newToken(t.baseUrl, user);
      const remaining: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat)).expect(200);
        expect(res.headers['x-ratelimit-limit']).toBe('8');
        remaining.push(res.headers['x-ratelimit-remaining']);
      }
      expect(remaining).toEqual(['7', '6', '5', '4', '3', '2', '1', '0']);
      const refused = await supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat)).expect(429);
      expect(refused.headers).toMatchObject({ 'x-ratelimit-limit': '8', 'x-ratelimit-remaining': '0' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // The budget is the token's, not the team's: another token of the team starts afresh.
      const other = await newToken(t.baseUrl, user);
      const fresh = await supertest(t.baseUrl).get('/api/v1/account').set(bearer(other)).expect(200);
      expect(fresh.headers['x-ratelimit-remaining']).toBe('7');
    });

    it('shows in GET /account’s limits the budgets it counts: the free burst as overridden, and none on pro', async () => {
      const free = await newUser(t.baseUrl);
      const pro = await newUser(t.baseUrl);
      await setPlan(t.dataSource, pro.teamId, 'pro');
      const limitsOf = async (user: TestUser) => {
        const pat = await newToken(t.baseUrl, user);
        return (await supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat)).expect(200)).body.data.limits;
      };
      expect(await limitsOf(free)).toMatchObject({ requests_per_minute: 5, requests_per_second: 100 });
      expect(await limitsOf(pro)).toMatchObject({ requests_per_minute: 8, requests_per_second: null });
    });
  });

  describe('bursts, the anonymous, logins and failed tokens', () => {
    const t = useTestApp({
      env: limited({
        RATE_LIMIT_FREE_PER_SECOND: '3',
        RATE_LIMIT_ANONYMOUS_PER_HOUR: '2',
        RATE_LIMIT_LOGIN_PER_MINUTE: '3',
        RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '2',
        RATE_LIMIT_LINKS_PER_HOUR: '2',
        RATE_LIMIT_STRIPE_PER_MINUTE: '2',
      }),
    });

    it('refuses a free token’s fourth request within a second', async () => {
      const user = await newUser(t.baseUrl);
      const pat = await newToken(t.baseUrl, user);
      const answers = await Promise.all(Array.from({ length: 4 }, () => supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat))));
      expect(answers.map((res) => res.status).sort()).toEqual([200, 200, 200, 429]);
      // The refusal speaks of the burst that ran out, not of the minute that has room left.
      const refused = answers.find((res) => res.status === 429)!;
      expect(refused.headers).toMatchObject({
        'x-ratelimit-limit': '3',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1',
        'retry-after': '1',
      });
      expect(answers.find((res) => res.status === 200)!.headers['x-ratelimit-limit']).toBe('240');
    });

    it('spends none of the minute on requests the burst refused', async () => {
      const pat = await newToken(t.baseUrl, await newUser(t.baseUrl));
      const account = () => supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat));
      const burst = await Promise.all(Array.from({ length: 10 }, account));
      expect(burst.map((res) => res.status).sort()).toEqual([200, 200, 200, ...Array(7).fill(429)]);
      await sleep(1100);
      // The minute (240) counts the 3 the burst let through, and this one.
      expect((await account().expect(200)).headers['x-ratelimit-remaining']).toBe('236');
    });

    it('counts in fixed windows: once its Reset has passed, the whole budget is back', async () => {
      const pat = await newToken(t.baseUrl, await newUser(t.baseUrl));
      const account = () => supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat));
      await account().expect(200);
      // The window opened before that answer came: it ends within a second of now.
      const openedBy = Date.now();
      await sleep(500);
      // Late in the window: 3 of 3 spent.
      await account().expect(200);
      await account().expect(200);
      await sleep(Math.max(0, openedBy + 1150 - Date.now()));
      // A sliding count would still hold the last two here, and let one more through.
      const after = [];
      for (let i = 0; i < 3; i++) after.push((await account()).status);
      expect(after).toEqual([200, 200, 200]);
    });

    it('allows two anonymous creations per address per hour here', async () => {
      await newSecret(t.baseUrl);
      await newSecret(t.baseUrl);
      const res = await supertest(t.baseUrl)
        .post('/api/v1/secrets')
        .send({ content: 'x', expire_mode: 'views', expire_value: 1 })
        .expect(429);
      expect(res.headers['retry-after']).toBeDefined();
    });

    it('limits logins per account and address', async () => {
      const user = await newUser(t.baseUrl);
      const attempt = (email: string) =>
        supertest(t.baseUrl)
          .post('/api/v1/auth/token')
          .send({ email, password: 'wrong password!', device_name: 'x', abilities: ['secrets:read'] });
      for (let i = 0; i < 3; i++) await attempt(user.email).expect(401);
      await attempt(user.email).expect(429);
      await attempt(user.email.toUpperCase()).expect(429);
      await attempt(`other-${randomBytes(3).toString('hex')}@example.test`).expect(401);
    });

    it('judges at most the budget of 40 logins spread over spellings of the path', async () => {
      const user = await newUser(t.baseUrl);
      const spellings = [
        '/api/v1/auth/token',
        '/api/v1/auth/%74oken',
        '/api/v1/auth/t%6Fken',
        '/api/v1/auth/toke%6E',
        '/api/v1/auth/token?x=1',
      ];
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await supertest(t.baseUrl)
          .post(spellings[i % spellings.length])
          .send({ email: user.email, password: 'wrong password!', device_name: 'x', abilities: ['secrets:read'] });
        statuses.push(res.status);
      }
      expect(statuses.filter((status) => status === 401)).toHaveLength(3);
      expect(statuses.filter((status) => status === 429)).toHaveLength(37);
    });

    it('counts requests with a bad token against the address, and they carry the headers', async () => {
      const res = await supertest(t.baseUrl).get('/api/v1/account').set(bearer('olk_live_garbage')).expect(401);
      expect(res.headers['x-ratelimit-limit']).toBe('2');
      await supertest(t.baseUrl).get('/api/v1/account').expect(401);
      await supertest(t.baseUrl).get('/api/v1/account').expect(429);
    });

    it('gives the Stripe webhook a budget of its own per address, with the headers', async () => {
      const send = () => supertest(t.baseUrl).post('/api/v1/billing/stripe/webhook').set('Stripe-Signature', 't=1,v1=x').send({});
      const first = await send();
      // No STRIPE_WEBHOOK_SECRET here: 503, which spends the budget like any answer.
      expect([first.status, first.headers['x-ratelimit-limit'], first.headers['x-ratelimit-remaining']]).toEqual([503, '2', '1']);
      await send().expect(503);
      const refused = await send().expect(429);
      expect(refused.headers['retry-after']).toBeDefined();
    });

    it('does not let a forged X-Forwarded-For from an untrusted peer escape the link budget', async () => {
      const token = 'AAAAAAAAAAAAAAAAAAAAAAAA';
      await supertest(t.baseUrl).get(`/api/v1/links/${token}`).set('X-Forwarded-For', '203.0.113.1').expect(404);
      await supertest(t.baseUrl).get(`/api/v1/links/${token}`).set('X-Forwarded-For', '203.0.113.2').expect(404);
      await supertest(t.baseUrl).get(`/api/v1/links/${token}`).set('X-Forwarded-For', '203.0.113.3').expect(429);
    });
  });

  describe('switched off', () => {
    // Budgets of one request, so that only the switch can explain the answers below.
    const t = useTestApp({
      env: {
        RATE_LIMIT_ENABLED: 'false',
        RATE_LIMIT_FREE_PER_MINUTE: '1',
        RATE_LIMIT_FREE_PER_SECOND: '1',
        RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1',
      },
    });

    it('refuses nothing, however far past the budgets, and its headers show the whole budget left', async () => {
      const user = await newUser(t.baseUrl);
      const pat = await newToken(t.baseUrl, user);
      for (let i = 0; i < 3; i++) {
        const withToken = await supertest(t.baseUrl).get('/api/v1/account').set(bearer(pat)).expect(200);
        const without = await supertest(t.baseUrl).get('/api/v1/account').expect(401);
        const unrouted = await supertest(t.baseUrl).get('/api/v1/no-such-route').expect(404);
        // API.md: every /api/v1 response carries the three headers, whether or not anything is counted.
        for (const res of [withToken, without, unrouted]) {
          expect(res.headers).toMatchObject({ 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '60' });
          expect(res.headers['retry-after']).toBeUndefined();
        }
      }
      // The hot routes, answered ahead of Fastify, too.
      const created = await supertest(t.baseUrl)
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1 })
        .expect(201);
      const opened = await supertest(t.baseUrl).post(`/api/v1/links/${created.body.data.token}/reveal`).send({}).expect(200);
      for (const res of [created, opened]) expect(res.headers['x-ratelimit-limit']).toMatch(/^\d+$/);
    });
  });

  describe('an account’s login budget and one address', () => {
    const t = useTestApp({
      env: limited({
        TRUST_PROXY: 'loopback',
        RATE_LIMIT_LOGIN_PER_MINUTE: '3',
        RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '100',
        RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '5',
      }),
    });

    /** Logins to the account `email` as sent from the address `from` (the trusted proxy's X-Forwarded-For). */
    const loginAs = (email: string) => (password: string, from: string) =>
      supertest(t.baseUrl)
        .post('/api/v1/auth/token')
        .set('X-Forwarded-For', from)
        .send({ email, password, device_name: 'x', abilities: ['secrets:read'] });

    it('does not let one address spend more of an account’s budget than its own share', async () => {
      const user = await newUser(t.baseUrl);
      const login = loginAs(user.email);
      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push((await login('wrong password!', '198.51.100.1')).status);
      expect(statuses).toEqual([401, 401, 401, ...Array(7).fill(429)]);
      await login(user.password, '203.0.113.9').expect(201);
    });

    it('does not let addresses guessing at an account lock out an address its owner logged in from', async () => {
      const user = await newUser(t.baseUrl);
      const login = loginAs(user.email);
      await login(user.password, '203.0.113.9').expect(201);
      // Two addresses, each within its own 3, spend the rest of the account's 5.
      const guesses = [];
      for (const from of ['198.51.100.1', '198.51.100.2']) {
        for (let i = 0; i < 3; i++) guesses.push((await login('wrong password!', from)).status);
      }
      expect(guesses).toEqual([401, 401, 401, 401, 429, 429]);
      // An address the owner has not logged in from meets the account's stop, right password or not.
      await login(user.password, '192.0.2.7').expect(429);
      await login(user.password, '203.0.113.9').expect(201);
      // The known address still has only its own 3 a minute.
      await login('wrong password!', '203.0.113.9').expect(401);
      await login(user.password, '203.0.113.9').expect(429);
    });
  });

  describe('logins from many addresses, and for many accounts', () => {
    const t = useTestApp({
      env: limited({
        TRUST_PROXY: 'loopback',
        RATE_LIMIT_LOGIN_PER_MINUTE: '100',
        RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '4',
        RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '5',
      }),
    });
    const attempt = (email: string, from: string) =>
      supertest(t.baseUrl)
        .post('/api/v1/auth/token')
        .set('X-Forwarded-For', from)
        .send({ email, password: 'wrong password!', device_name: 'x', abilities: ['secrets:read'] });

    it('limits one address trying many accounts', async () => {
      const statuses = [];
      for (let i = 0; i < 8; i++) statuses.push((await attempt(`guess-${i}@example.test`, '198.51.100.1')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429]);
    });

    it('counts a forwarded value that is not an address as the proxy’s own, however it varies', async () => {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await attempt(`other-${i}@example.test`, `not-an-address-${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    });

    it('limits one account tried from many addresses', async () => {
      const user = await newUser(t.baseUrl);
      const statuses = [];
      for (let i = 0; i < 8; i++) statuses.push((await attempt(user.email, `203.0.113.${i + 1}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    });

    it('spends no account’s budget on bodies that name no account: each is the 422 that says why', async () => {
      const statuses = [];
      for (const [path, body] of [
        ['/api/v1/auth/token', {}],
        ['/api/v1/auth/register', { email: '' }],
        ['/api/v1/auth/token', { email: 42 }],
      ] as const) {
        // One more address than the account's budget of 5.
        for (let i = 0; i < 6; i++) {
          const res = await supertest(t.baseUrl)
            .post(path)
            .set('X-Forwarded-For', `192.0.2.${i + 1}`)
            .send(body);
          statuses.push(res.status);
        }
      }
      expect(statuses).toEqual(Array(18).fill(422));
    });
  });

  describe('the address behind a trusted proxy', () => {
    const t = useTestApp({ env: limited({ TRUST_PROXY: 'loopback', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '3' }) });
    /** An address no other request of any run within the minute comes from. */
    const freshAddress = () => `10.${[...randomBytes(3)].join('.')}`;

    it('charges a URL Fastify cannot route to the forwarded address, as any other request', async () => {
      for (const path of ['/api/v1/x%ZZ', `/api/v1/links/${'a'.repeat(101)}`]) {
        const answers = [];
        for (const from of [freshAddress(), freshAddress()]) {
          answers.push(await supertest(t.baseUrl).get(path).set('X-Forwarded-For', from));
        }
        expect(answers.map((res) => [path, res.headers['x-ratelimit-limit'], res.headers['x-ratelimit-remaining']])).toEqual([
          [path, '3', '2'],
          [path, '3', '2'],
        ]);
      }
    });

    it('adds no Retry-After to an answer that was not the refusal, once the budget is spent', async () => {
      const from = freshAddress();
      for (let i = 0; i < 3; i++) await supertest(t.baseUrl).get('/api/v1/nope').set('X-Forwarded-For', from).expect(404);
      const answers = [
        await supertest(t.baseUrl).get('/api/v1/nope').set('X-Forwarded-For', from),
        await supertest(t.baseUrl).post('/api/v1/secrets').set('X-Forwarded-For', from).set('Content-Type', 'application/json').send('{'),
        await supertest(t.baseUrl).get('/api/v1/x%ZZ').set('X-Forwarded-For', from),
      ];
      expect(answers.map((res) => [res.status, res.headers['x-ratelimit-remaining'], res.headers['retry-after']])).toEqual([
        [404, '0', undefined],
        [400, '0', undefined],
        [400, '0', undefined],
      ]);
      const refused = await supertest(t.baseUrl).get('/api/v1/account').set('X-Forwarded-For', from).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
});

const withRedis = process.env.REDIS_URL ? describe : describe.skip;

withRedis('rate limits across instances sharing Redis', () => {
  let db: TestDatabase;
  let servers: ServerProcess[];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = serverEnvOn(db, {
      REDIS_URL: process.env.REDIS_URL!,
      ...limited({
        RATE_LIMIT_FREE_PER_MINUTE: '6',
        RATE_LIMIT_FREE_PER_SECOND: '100',
        TRUST_PROXY: 'loopback',
        RATE_LIMIT_LOGIN_PER_MINUTE: '3',
        RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '100',
        RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '5',
      }),
    });
    servers = [await startServerProcess(env), await startServerProcess(env)];
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db.drop();
  });

  it('spends one budget whichever instance answers', async () => {
    const user = await newUser(servers[0].baseUrl);
    const pat = await newToken(servers[0].baseUrl, user);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (
          await supertest(servers[i % 2].baseUrl)
            .get('/api/v1/account')
            .set(bearer(pat))
        ).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
  });

  it('knows an address its owner logged in from on every instance', async () => {
    const user = await newUser(servers[0].baseUrl);
    const login = (server: ServerProcess, password: string, from: string) =>
      supertest(server.baseUrl)
        .post('/api/v1/auth/token')
        .set('X-Forwarded-For', from)
        .send({ email: user.email, password, device_name: 'x', abilities: ['secrets:read'] });
    await login(servers[0], user.password, '203.0.113.9').expect(201);
    const guesses = [];
    for (const from of ['198.51.100.1', '198.51.100.2']) {
      for (let i = 0; i < 3; i++) guesses.push((await login(servers[i % 2], 'wrong password!', from)).status);
    }
    expect(guesses).toEqual([401, 401, 401, 401, 429, 429]);
    await login(servers[1], user.password, '192.0.2.7').expect(429);
    await login(servers[1], user.password, '203.0.113.9').expect(201);
  });

  it('keeps no key in Redis that an email, alone or with an address, can be tested against', async () => {
    const user = await newUser(servers[0].baseUrl);
    await supertest(servers[0].baseUrl)
      .post('/api/v1/auth/token')
      .set('X-Forwarded-For', '203.0.113.10')
      .send({ email: user.email, password: user.password, device_name: 'x', abilities: ['secrets:read'] })
      .expect(201);
    // What a plain SHA-256 of the account (and of the account and the address) would be.
    const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
    const plainAccount = sha256(user.email.toLowerCase());
    const plainMark = sha256(`${plainAccount}:203.0.113.10`);
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const keys = await redis.keys('oncelink:rate:*');
      expect(keys.filter((key) => key.startsWith('oncelink:rate:mark:login-known:')).length).toBeGreaterThan(0);
      expect(keys.filter((key) => key.includes(plainAccount) || key.includes(plainMark))).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
