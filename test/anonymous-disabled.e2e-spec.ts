import supertest from 'supertest';
import { useTestApp } from './support/test-app';

describe('POST /api/v1/secrets with ALLOW_ANONYMOUS=false', () => {
  const t = useTestApp({ env: { ALLOW_ANONYMOUS: 'false' } });

  it('requires a token to create a secret', async () => {
    const res = await supertest(t.baseUrl)
      .post('/api/v1/secrets')
      .send({ content: 'x', expire_mode: 'views', expire_value: 1 })
      .expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM secrets'))[0].n).toBe(0);
  });
});
