import { useTestApp } from './support/test-app';

describe('service basics', () => {
  const t = useTestApp();
  const api = t.http;

  describe('GET /healthz and GET /readyz', () => {
    it('answer 200 while the process and the database are up', async () => {
      expect((await api().get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
      expect((await api().get('/readyz').expect(200)).body).toEqual({ status: 'ok' });
    });
  });

  describe('X-Request-Id', () => {
    it('is generated for every response, errors included', async () => {
      const ok = await api().get('/healthz').expect(200);
      const missing = await api().get('/api/v1/nothing-here').expect(404);
      expect(ok.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(missing.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(ok.headers['x-request-id']).not.toBe(missing.headers['x-request-id']);
    });

    it('keeps a caller’s harmless id and replaces a hostile one', async () => {
      expect((await api().get('/healthz').set('X-Request-Id', 'ci-run.42:abc').expect(200)).headers['x-request-id']).toBe('ci-run.42:abc');
      for (const hostile of ['has spaces', 'x'.repeat(129), '<script>']) {
        const res = await api().get('/healthz').set('X-Request-Id', hostile).expect(200);
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('security headers', () => {
    it("come with every API answer, OWASP's set for REST responses, and nothing is cacheable", async () => {
      for (const res of [
        await api().get('/api/v1/account').expect(401),
        await api().post('/api/v1/secrets').send({ content: 'x', expire_mode: 'views', expire_value: 1 }).expect(201),
        await api().get('/api/v1/nothing-here').expect(404),
      ]) {
        expect(res.headers).toMatchObject({
          'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
          'cross-origin-resource-policy': 'same-origin',
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
          'strict-transport-security': 'max-age=31536000; includeSubDomains',
          'cache-control': 'no-store',
        });
      }
    });

    it("come with every page as helmet's full set", async () => {
      for (const res of [await api().get('/healthz').expect(200), await api().get('/api/docs').redirects(1)]) {
        expect(res.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'cross-origin-opener-policy': 'same-origin',
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        });
        expect(res.headers['content-security-policy']).toContain("default-src 'self'");
        expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      }
    });
  });

  describe('errors', () => {
    it('answer unknown routes with 404 in the contract’s shape', async () => {
      expect((await api().get('/api/v1/nothing-here').expect(404)).body).toEqual({ message: 'Not found.' });
      expect((await api().patch('/api/v1/secrets').send({}).expect(404)).body).toEqual({ message: 'Not found.' });
    });

    it('answer a failing query with a generic 500 that leaks no SQL, stack or submitted value', async () => {
      // A real fault without test-only code: the table the route writes to is gone.
      await t.dataSource.query('ALTER TABLE users RENAME TO users_moved_away');
      try {
        const password = 'a password that must not echo';
        const res = await api().post('/api/v1/auth/register').send({ email: 'fault@example.test', password, name: 'Fault' }).expect(500);
        expect(res.body).toEqual({ message: 'Server Error.' });
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
        for (const internal of ['users', 'relation', 'QueryFailed', 'INSERT', '.ts:', password]) expect(res.text).not.toContain(internal);
      } finally {
        await t.dataSource.query('ALTER TABLE users_moved_away RENAME TO users');
      }
      await api()
        .post('/api/v1/auth/register')
        .send({ email: 'fault@example.test', password: 'a long enough password', name: 'Fault' })
        .expect(201);
    });
  });

  describe('OpenAPI', () => {
    it('is generated from the code at /api/openapi.json with the routes of the contract', async () => {
      const res = await api().get('/api/openapi.json').expect(200);
      expect(res.body.openapi).toMatch(/^3\./);
      expect(Object.keys(res.body.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/auth/register',
          '/api/v1/auth/token',
          '/api/v1/auth/tokens',
          '/api/v1/auth/tokens/{id}',
          '/api/v1/account',
          '/api/v1/secrets',
          '/api/v1/secrets/{id}',
          '/api/v1/links/{token}',
          '/api/v1/links/{token}/reveal',
          '/api/v1/links/{token}/report',
        ]),
      );
      expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    });

    it('has a browsable UI at /api/docs', async () => {
      const res = await api().get('/api/docs').redirects(1).expect(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.text).toContain('swagger');
    });
  });
});
