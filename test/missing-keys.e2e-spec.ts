import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { Keyring } from '../src/crypto/keyring';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { newTeam } from './support/factories';
import { newSecret } from './support/secrets';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { setPlanAt } from './support/teams';
import { startWebhookReceiver, WebhookReceiver } from './support/webhook-receiver';

const WARNING = 'Data is sealed with keys neither ENCRYPTION_KEY nor ENCRYPTION_KEYS_OLD holds';

const keyIdOf = (key: string) => new Keyring(Buffer.from(key, 'base64'), []).keyIds[0];

/** The keys a team's signing secrets, current and replaced, are sealed under. */
async function signingSecretKeys(db: TestDatabase, teamId: string) {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT key_id, previous_key_id FROM team_webhook_secrets WHERE team_id = $1', [teamId]);
    return rows[0] as { key_id: string; previous_key_id: string | null };
  } finally {
    await client.end();
  }
}

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

  it('counts a rotated webhook secret that still signs during its day of grace, besides the one that replaced it', async () => {
    const firstEnv = serverEnvOn(db, { LOG_LEVEL: 'warn' });
    const first = await startServerProcess(firstEnv);
    const { pat } = await newTeam(first.baseUrl);
    const auth = { authorization: `Bearer ${pat}` };
    expect((await fetch(`${first.baseUrl}/api/v1/team/webhook-secret/rotate`, { method: 'POST', headers: auth })).status).toBe(200);
    await first.stop();
    const [firstKeyId] = new Keyring(Buffer.from(firstEnv.ENCRYPTION_KEY, 'base64'), []).keyIds;

    await server?.stop();
    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'warn' }));
    expect(await eventually(() => Promise.resolve(server!.output().includes(WARNING)), 10)).toBe(true);
    const line = server
      .output()
      .split('\n')
      .find((line) => line.includes(WARNING));
    expect(line).toContain(`${firstKeyId} (0 secrets, 2 webhook secrets)`);
  }, 90_000);

  it('logs a reveal it cannot open as an error, under the id its access log line and X-Request-Id carry', async () => {
    const sealingEnv = serverEnvOn(db);
    await server?.stop();
    server = await startServerProcess(sealingEnv);
    const secret = await newSecret(server.baseUrl);
    await server.stop();
    const [keyId] = new Keyring(Buffer.from(sealingEnv.ENCRYPTION_KEY, 'base64'), []).keyIds;

    server = await startServerProcess(serverEnvOn(db, { LOG_LEVEL: 'info' }));
    const refused = await fetch(`${server.baseUrl}/api/v1/links/${secret.token}/reveal`, { method: 'POST' });
    expect([refused.status, (await refused.json()).code]).toEqual([503, 'key_unavailable']);
    // Stopping flushes the log.
    await server.stop();
    const lines: { level: number; msg: string; req?: { id: string; url?: string } }[] = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const errorLine = lines.find(
      (line) => line.msg === `Secret ${secret.id} is sealed with key ${keyId}, which this instance does not hold`,
    );
    const accessLine = lines.find((line) => line.req?.url === '/api/v1/links/[redacted]/reveal');
    expect(errorLine).toMatchObject({ level: 50, req: { id: refused.headers.get('x-request-id') } });
    expect(accessLine).toMatchObject({ level: 40, req: { id: errorLine!.req!.id } });
  }, 90_000);
});

describe('an old master key, once every instance has started with the new one', () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await server?.stop();
    await receiver.close();
    await db.drop();
  });

  const sealedWith = (teamId: string) => signingSecretKeys(db, teamId);

  it('can be dropped: the webhook signing secrets, current and replaced, are re-sealed under the new key at start, and still sign', async () => {
    const [oldKey, newKey] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
    const env = (keys: Record<string, string>) =>
      serverEnvOn(db, { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_RETRY_DELAYS: '0.2', ...keys });

    server = await startServerProcess(env({ ENCRYPTION_KEY: oldKey }));
    const { owner, pat } = await newTeam(server.baseUrl);
    await setPlanAt(db.url, owner.teamId, 'pro');
    const auth = { authorization: `Bearer ${pat}` };
    const replaced = (await (await fetch(`${server.baseUrl}/api/v1/team/webhook-secret`, { headers: auth })).json()).data.secret;
    const rotated = await fetch(`${server.baseUrl}/api/v1/team/webhook-secret/rotate`, { method: 'POST', headers: auth });
    const current = (await rotated.json()).data.secret;
    await server.stop();

    server = await startServerProcess(env({ ENCRYPTION_KEY: newKey, ENCRYPTION_KEYS_OLD: oldKey }));
    const resealed = { key_id: keyIdOf(newKey), previous_key_id: keyIdOf(newKey) };
    expect(await eventually(async () => JSON.stringify(await sealedWith(owner.teamId)) === JSON.stringify(resealed), 10)).toBe(true);
    await server.stop();

    server = await startServerProcess(env({ ENCRYPTION_KEY: newKey }));
    const secret = await newSecret(server.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
    expect((await fetch(`${server.baseUrl}/api/v1/links/${secret.token}/reveal`, { method: 'POST' })).status).toBe(200);
    expect(await eventually(() => receiver.received.length === 1, 10)).toBe(true);
    const [hook] = receiver.received;
    for (const key of [current, replaced]) new Webhook(key).verify(hook.body, hook.headers as Record<string, string>);
    const shown = await fetch(`${server.baseUrl}/api/v1/team/webhook-secret`, { headers: auth });
    expect([shown.status, (await shown.json()).data.secret]).toEqual([200, current]);
  }, 90_000);
});

describe('a rotation on an instance without the key the signing secret is sealed under (mid-rollout)', () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await receiver.close();
    await db.drop();
  });

  it('keeps the replaced secret signing for its day: the instance holding both keys signs with both', async () => {
    const [oldKey, newKey] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
    const env = (keys: Record<string, string>) =>
      serverEnvOn(db, { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_RETRY_DELAYS: '0.2', ...keys });
    const onOldKey = await startServerProcess(env({ ENCRYPTION_KEY: oldKey }));
    servers.push(onOldKey);
    const { owner, pat } = await newTeam(onOldKey.baseUrl);
    await setPlanAt(db.url, owner.teamId, 'pro');
    const auth = { authorization: `Bearer ${pat}` };
    expect((await fetch(`${onOldKey.baseUrl}/api/v1/team/webhook-secret`, { headers: auth })).status).toBe(200);

    const onNewKey = await startServerProcess(env({ ENCRYPTION_KEY: newKey, ENCRYPTION_KEYS_OLD: oldKey }));
    servers.push(onNewKey);
    // Its start re-seals the team's secret under the new key, which the other instance lacks.
    expect(await eventually(async () => (await signingSecretKeys(db, owner.teamId)).key_id === keyIdOf(newKey), 10)).toBe(true);
    const rotate = async (server: ServerProcess) => {
      const res = await fetch(`${server.baseUrl}/api/v1/team/webhook-secret/rotate`, { method: 'POST', headers: auth });
      return { status: res.status, data: (await res.json()).data as { secret: string; previous_expires_at: string | null } };
    };
    const first = await rotate(onNewKey);
    expect(first).toMatchObject({ status: 200, data: { previous_expires_at: expect.any(String) } });

    const second = await rotate(onOldKey);
    expect(second).toMatchObject({ status: 200, data: { previous_expires_at: expect.any(String) } });
    expect(await signingSecretKeys(db, owner.teamId)).toEqual({ key_id: keyIdOf(oldKey), previous_key_id: keyIdOf(newKey) });

    const secret = await newSecret(onOldKey.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
    expect((await fetch(`${onOldKey.baseUrl}/api/v1/links/${secret.token}/reveal`, { method: 'POST' })).status).toBe(200);
    expect(await eventually(() => receiver.received.length === 1, 10)).toBe(true);
    const [hook] = receiver.received;
    expect(String(hook.headers['oncelink-signature']).match(/v1=/g)).toHaveLength(2);
    expect(String(hook.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const key of [second.data.secret, first.data.secret]) new Webhook(key).verify(hook.body, hook.headers as Record<string, string>);
  }, 90_000);
});
