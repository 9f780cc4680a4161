import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
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
    // The attempt cut short was sent, so it counts, but its outcome was never known: no history entry.
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200 });
    expect(delivery.history.map((attempt: { attempt: number }) => attempt.attempt)).toEqual([2]);
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

  (databaseMode() === 'postgresql' ? it : it.skip)(
    'never sends one delivery twice at once when signing it outlasts the lease, and counts only the attempts sent',
    async () => {
      // The team's signing secret is sealed under a key the instances then hold as an old one,
      // so signing re-seals it: an UPDATE that waits while a session holds the row.
      const first = await startServerProcess(env());
      const pat = await proTeam(first.baseUrl);
      expect((await fetch(`${first.baseUrl}/api/v1/team/webhook-secret`, { headers: bearer(pat) })).status).toBe(200);
      const secret = await newSecret(first.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await first.stop();

      // The receiver counts each webhook-id's requests in flight, each answered (200) after 300 ms.
      receiver.received.length = 0;
      const inFlight = new Map<string, number>();
      let mostAtOnce = 0;
      receiver.respond = (res, _n, hook) => {
        const id = String(hook.headers['webhook-id']);
        inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
        mostAtOnce = Math.max(mostAtOnce, inFlight.get(id)!);
        setTimeout(() => {
          inFlight.set(id, inFlight.get(id)! - 1);
          res.end('ok');
        }, 300);
      };
      const holder = new Client({ connectionString: db.url });
      const watcher = new Client({ connectionString: db.url });
      await Promise.all([holder.connect(), watcher.connect()]);
      const waitingOnLocks = async () =>
        (
          await watcher.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        ).rows[0].n as number;
      try {
        const [{ team_id: teamId }] = (await holder.query(`SELECT team_id FROM secrets WHERE id = $1`, [secret.id])).rows;
        await holder.query('BEGIN');
        await holder.query('SELECT team_id FROM team_webhook_secrets WHERE team_id = $1 FOR UPDATE', [teamId]);

        const rollout = { ENCRYPTION_KEY: randomBytes(32).toString('base64'), ENCRYPTION_KEYS_OLD: key, WEBHOOK_TIMEOUT_MS: '500' };
        servers = [await startServerProcess({ ...env(), ...rollout }), await startServerProcess({ ...env(), ...rollout })];
        expect((await view(servers[0].baseUrl, secret.token)).status).toBe(200);
        // Each instance's re-seal at start waits, then the first claim's signing; the lease (500 ms + 5 s)
        // runs out and the delivery is claimed again, its signing waiting too.
        expect(await eventually(async () => (await waitingOnLocks()) >= 4, 20)).toBe(true);
      } finally {
        await holder.query('COMMIT');
        await Promise.all([holder.end(), watcher.end()]);
      }

      expect(await eventually(() => receiver.received.length >= 1, 10)).toBe(true);
      // Time for a second send of it, were one coming.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const res = await fetch(`${servers[0].baseUrl}/api/v1/secrets/${secret.id}/webhook-deliveries`, { headers: bearer(pat) });
      const [delivery] = (await res.json()).data;
      expect(mostAtOnce).toBe(1);
      expect(delivery).toMatchObject({ status: 'delivered', attempts: receiver.received.length, last_status_code: 200 });
    },
    90_000,
  );
});
