import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { EmbeddedDatabase, startEmbeddedDatabase } from '../src/common/database/embedded-database';
import { adminQuery, createTestDatabase, databaseMode, TEST_DATABASE_PREFIX, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { bearer, newToken, newUser } from './support/factories';
import { freePort } from './support/free-port';
import { useTestApp } from './support/test-app';

/**
 * Takes the database away under a running app: on PostgreSQL by refusing and terminating its
 * connections, on the embedded database by stopping the PGlite server and starting it again
 * on the same port and data directory.
 */
interface Outage {
  db: TestDatabase;
  down(): Promise<void>;
  up(): Promise<void>;
}

async function postgresOutage(): Promise<Outage> {
  const db = await createTestDatabase();
  const admin = db.adminUrl!;
  return {
    db,
    down: async () => {
      await adminQuery(admin, `ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
      await adminQuery(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}'`);
    },
    up: () => adminQuery(admin, `ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`),
  };
}

async function embeddedOutage(): Promise<Outage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oncelink-outage-'));
  const port = await freePort();
  let server: EmbeddedDatabase | undefined = await startEmbeddedDatabase(dataDir, port);
  const db: TestDatabase = { url: server.url, name: 'postgres', embedded: true, drop: async () => server?.stop() };
  return {
    db,
    down: async () => {
      await server!.stop();
      server = undefined;
    },
    up: async () => {
      server = await startEmbeddedDatabase(dataDir, port);
    },
  };
}

describe('when the database goes away', () => {
  let outage: Outage;
  beforeAll(async () => {
    outage = databaseMode() === 'postgresql' ? await postgresOutage() : await embeddedOutage();
  });
  const t = useTestApp(() => ({ db: outage.db }));
  // Registered after useTestApp's, so it runs after the app has closed.
  afterAll(() => outage.db.drop());

  it('answers 503 in the error shape, keeps running, and recovers by itself', async () => {
    const api = () => supertest(t.baseUrl);
    const user = await newUser(t.baseUrl);
    const pat = await newToken(t.baseUrl, user);
    await api().get('/api/v1/account').set(bearer(pat)).expect(200);

    await outage.down();
    const during = await api().get('/api/v1/account').set(bearer(pat)).expect(503);
    expect(during.body).toEqual({ message: 'Service temporarily unavailable.' });
    expect(during.headers['retry-after']).toBeDefined();
    expect((await api().get('/readyz').expect(503)).body).toMatchObject({ message: 'Database unavailable.' });
    await api().get('/healthz').expect(200);

    await outage.up();
    expect(await eventually(async () => (await api().get('/readyz')).status === 200, 20, 250)).toBe(true);
    expect(await eventually(async () => (await api().get('/api/v1/account').set(bearer(pat))).status === 200, 20, 250)).toBe(true);
  });
});

// PostgreSQL's roles; PGlite has none to take LOGIN from.
const withRoles = databaseMode() === 'postgresql' ? describe : describe.skip;

withRoles('when the database refuses the login', () => {
  const role = `${TEST_DATABASE_PREFIX}${randomBytes(4).toString('hex')}`;
  let db: TestDatabase;
  let admin: string;
  beforeAll(async () => {
    const created = await createTestDatabase();
    admin = created.adminUrl!;
    await adminQuery(admin, `CREATE ROLE "${role}" LOGIN`);
    await adminQuery(
      created.url,
      `GRANT USAGE ON SCHEMA public TO "${role}"; GRANT ALL ON ALL TABLES IN SCHEMA public TO "${role}"; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "${role}"`,
    );
    const url = new URL(created.url);
    url.username = role;
    db = {
      ...created,
      url: url.toString(),
      drop: async () => {
        await created.drop();
        await adminQuery(admin, `DROP ROLE IF EXISTS "${role}"`);
      },
    };
  });
  const t = useTestApp(() => ({ db }));
  afterAll(() => db?.drop());

  it('answers 503 with Retry-After while the role may not log in (SQLSTATE 28000), and recovers', async () => {
    const api = () => supertest(t.baseUrl);
    const user = await newUser(t.baseUrl);
    const pat = await newToken(t.baseUrl, user);
    await api().get('/api/v1/account').set(bearer(pat)).expect(200);

    await adminQuery(admin, `ALTER ROLE "${role}" NOLOGIN`);
    await adminQuery(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'`);
    const during = await api().get('/api/v1/account').set(bearer(pat)).expect(503);
    expect(during.body).toEqual({ message: 'Service temporarily unavailable.' });
    expect(during.headers['retry-after']).toBeDefined();

    await adminQuery(admin, `ALTER ROLE "${role}" LOGIN`);
    expect(await eventually(async () => (await api().get('/api/v1/account').set(bearer(pat))).status === 200, 20, 250)).toBe(true);
  });
});
