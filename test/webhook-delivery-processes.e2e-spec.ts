import { randomBytes } from 'node:crypto';
import { createTestDatabase, databaseMode, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { bearer } from './support/factories';
import { newSecret } from './support/secrets';
import { ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { newTeamAt } from './support/teams';
import { startWebhookReceiver, WebhookReceiver } from './support/webhook-receiver';

/** The outbox across processes: the built server, killed outright, and run twice on one database. */
describe('webhook delivery across processes', () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;
  let servers: ServerProcess[] = [];
  // One key for every process, so a restarted one opens what the killed one sealed.
  const env = () =>
    serverEnvOn(db, {
      ENCRYPTION_KEY: key,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_MS: '1500',
      WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2',
      WEBHOOK_POLL_INTERVAL_MS: '100',
    });
  const key = randomBytes(32).toString('base64');

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    servers = [];
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  const proTeam = (baseUrl: string) => newTeamAt('pro', baseUrl, db.url);

  const view = (baseUrl: string, token: string) => fetch(`${baseUrl}/api/v1/links/${token}/reveal`, { method: 'POST' });

  it('delivers a view recorded before a SIGKILL once the server is back', async () => {
    receiver.received.length = 0;
    receiver.respond = (res, n) => {
      if (n > 0) res.end('ok'); // the first request is left hanging: the process dies mid-attempt
    };
    const first = await startServerProcess(env());
    const pat = await proTeam(first.baseUrl);
    const secret = await newSecret(first.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
    expect((await view(first.baseUrl, secret.token)).status).toBe(200);
    expect(await eventually(() => receiver.received.length === 1, 10)).toBe(true);
    first.child.kill('SIGKILL');
    await first.stop();

    servers = [await startServerProcess(env())];
    // The dead process's lease (timeout + 5 s) runs out, and the new one sends it again.
    expect(await eventually(() => receiver.received.length >= 2, 20)).toBe(true);
    const [lost, redelivered] = receiver.received;
    expect(redelivered.json.id).toBe(lost.json.id);
    const res = await fetch(`${servers[0].baseUrl}/api/v1/secrets/${secret.id}/webhook-deliveries`, { headers: bearer(pat) });
    const [delivery] = (await res.json()).data;
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200 });
  }, 60_000);

  it('finishes an attempt under way when SIGTERM comes, rather than cutting it and sending it again', async () => {
    receiver.received.length = 0;
    receiver.respond = (res) => setTimeout(() => res.end('ok'), 800);
    const first = await startServerProcess(env());
    const pat = await proTeam(first.baseUrl);
    const secret = await newSecret(first.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
    expect((await view(first.baseUrl, secret.token)).status).toBe(200);
    expect(await eventually(() => receiver.received.length === 1, 10)).toBe(true);
    expect(await first.stop()).toBe(0);

    servers = [await startServerProcess(env())];
    const res = await fetch(`${servers[0].baseUrl}/api/v1/secrets/${secret.id}/webhook-deliveries`, { headers: bearer(pat) });
    const [delivery] = (await res.json()).data;
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 200, last_error: null });
    expect(receiver.received).toHaveLength(1);
  }, 60_000);

  // PGlite serves one process (see src/main.ts), so two instances need PostgreSQL.
  (databaseMode() === 'postgresql' ? it : it.skip)(
    'sends each event once when two instances share the outbox',
    async () => {
      receiver.received.length = 0;
      receiver.respond = (res) => setTimeout(() => res.end('ok'), 20);
      servers = [await startServerProcess(env()), await startServerProcess(env())];
      const pat = await proTeam(servers[0].baseUrl);
      const secrets = await Promise.all(
        Array.from({ length: 30 }, () => newSecret(servers[0].baseUrl, { expire_value: 3, webhook_url: receiver.url }, pat)),
      );
      await Promise.all(secrets.map((secret, i) => view(servers[i % 2].baseUrl, secret.token)));
      expect(await eventually(() => receiver.received.length >= 30, 20)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const ids = receiver.received.map((hook) => hook.json.id);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    },
    60_000,
  );
});
