import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { newTeam } from './support/factories';
import { newSecret } from './support/secrets';
import { startTestApp, TestApp } from './support/test-app';

describe('an instance that starts with expired secrets waiting', () => {
  const env = { PURGE_INTERVAL_SECONDS: '3600' };
  let db: TestDatabase;
  let app: TestApp | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await db.drop();
  });

  it('purges them at once, not an interval later', async () => {
    const first = await startTestApp({ db, env });
    const { pat } = await newTeam(first.baseUrl);
    const secret = await newSecret(first.baseUrl, { expire_mode: 'minutes', expire_value: 5 }, pat);
    // Expired while no instance ran.
    await first.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 minute' WHERE id = $1`, [secret.id]);
    await first.close();

    app = await startTestApp({ db, env });
    const { dataSource } = app;
    const row = async () =>
      (await dataSource.query(`SELECT status, ciphertext IS NULL AS wiped FROM secrets WHERE id = $1`, [secret.id]))[0];
    expect(await eventually(async () => (await row()).status === 'expired', 5)).toBe(true);
    expect(await row()).toEqual({ status: 'expired', wiped: true });
  });
});

describe('an instance that starts with an old delivery log', () => {
  let db: TestDatabase;
  let app: TestApp | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await db.drop();
  });

  it('prunes it at once, not an hour later', async () => {
    const first = await startTestApp({ db });
    const { owner } = await newTeam(first.baseUrl);
    // Delivered 31 days ago, past the log's 30 days, while no instance ran for long enough to prune.
    const [old] = await first.dataSource.query(
      `INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, type, url, data, status, created_at)
       VALUES (gen_random_uuid(), 'evt_old', $1, gen_random_uuid(), 'secret.viewed', 'https://hooks.example.com/', '{}', 'delivered',
               now() - interval '31 days') RETURNING id`,
      [owner.teamId],
    );
    await first.close();

    app = await startTestApp({ db });
    const { dataSource } = app;
    const kept = async () => (await dataSource.query(`SELECT 1 FROM webhook_deliveries WHERE id = $1`, [old.id])).length > 0;
    expect(await eventually(async () => !(await kept()), 5)).toBe(true);
  });
});
