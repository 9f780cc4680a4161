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
