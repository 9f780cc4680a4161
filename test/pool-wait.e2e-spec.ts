import { useTestApp } from './support/test-app';

// One connection, as the embedded database always has: a request finds it busy as easily as ten.
describe('a request that waits too long for a database connection', () => {
  const t = useTestApp({ env: { DATABASE_POOL_SIZE: '1' } });
  const create = () => t.http().post('/api/v1/secrets').send({ content: 'x', expire_mode: 'views', expire_value: 1 });
  const secrets = async () => Number((await t.dataSource.query(`SELECT count(*) AS n FROM secrets`))[0].n);

  it('is answered 503 with Retry-After once the pool’s 5 s wait runs out, having written nothing', async () => {
    const before = await secrets();
    const busy = t.dataSource.createQueryRunner();
    await busy.connect();
    try {
      const res = await create().expect(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toEqual({ message: 'Service temporarily unavailable.' });
    } finally {
      await busy.release();
    }
    expect(await secrets()).toBe(before);
    await create().expect(201);
  }, 20_000);
});
