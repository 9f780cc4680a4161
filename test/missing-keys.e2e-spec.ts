import { Keyring } from '../src/crypto/keyring';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { newTeam } from './support/factories';
import { newSecret } from './support/secrets';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';

const WARNING = 'Data is sealed with keys neither ENCRYPTION_KEY nor ENCRYPTION_KEYS_OLD holds';

describe('an instance whose keyring lacks the key the data was sealed with', () => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await server?.stop();
    await db.drop();
  });

  it('warns at start, in one line, naming the key and what it sealed, and still answers ready', async () => {
    const firstEnv = serverEnvOn(db, { LOG_LEVEL: 'warn' });
    const first = await startServerProcess(firstEnv);
    const { pat } = await newTeam(first.baseUrl);
    await newSecret(first.baseUrl, {}, pat);
    await newSecret(first.baseUrl);
    expect((await fetch(`${first.baseUrl}/api/v1/team/webhook-secret`, { headers: { authorization: `Bearer ${pat}` } })).status).toBe(200);
    await first.stop();
    expect(first.output()).not.toContain(WARNING);
    const [keyId] = new Keyring(Buffer.from(firstEnv.ENCRYPTION_KEY, 'base64'), []).keyIds;

    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn' }));
    expect(await eventually(() => Promise.resolve(server!.output().includes(WARNING)), 10)).toBe(true);
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.includes(WARNING));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 40, msg: expect.stringContaining(`${keyId} (2 secrets, 1 webhook secret)`) });
    expect(lines[0]).not.toContain(firstEnv.ENCRYPTION_KEY);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    await server.stop();

    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn', ENCRYPTION_KEYS_OLD: firstEnv.ENCRYPTION_KEY }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(server.output()).not.toContain(WARNING);
  }, 90_000);

  it('names the key of a rotated webhook secret that still signs during its day of grace', async () => {
    const firstEnv = serverEnvOn(db, { LOG_LEVEL: 'warn' });
    const first = await startServerProcess(firstEnv);
    const { pat } = await newTeam(first.baseUrl);
    const auth = { authorization: `Bearer ${pat}` };
    expect((await fetch(`${first.baseUrl}/api/v1/team/webhook-secret`, { headers: auth })).status).toBe(200);
    await first.stop();
    const [firstKeyId] = new Keyring(Buffer.from(firstEnv.ENCRYPTION_KEY, 'base64'), []).keyIds;

    const rotatingEnv = serverEnvOn(db, { LOG_LEVEL: 'warn', ENCRYPTION_KEYS_OLD: firstEnv.ENCRYPTION_KEY });
    const rotating = await startServerProcess(rotatingEnv);
    expect((await fetch(`${rotating.baseUrl}/api/v1/team/webhook-secret/rotate`, { method: 'POST', headers: auth })).status).toBe(200);
    await rotating.stop();

    await server?.stop();
    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn', ENCRYPTION_KEY: rotatingEnv.ENCRYPTION_KEY }));
    expect(await eventually(() => Promise.resolve(server!.output().includes(WARNING)), 10)).toBe(true);
    const line = server
      .output()
      .split('\n')
      .find((line) => line.includes(WARNING));
    expect(line).toContain(`${firstKeyId} (0 secrets, 1 webhook secret)`);
  }, 90_000);
});
