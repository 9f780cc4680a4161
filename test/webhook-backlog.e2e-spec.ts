import type { ServerResponse } from 'node:http';
import { Client } from 'pg';
import { Keyring } from '../src/crypto/keyring';
import { ClaimRoom, teamDestination, WalkPlace, WebhookDeliveryRepository } from '../src/webhooks/webhook-delivery.repository';
import { SecretPurger } from '../src/secrets/secret-purger';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/eventually';
import { bearer } from './support/factories';
import { rowsRead, SentStatement, withStatementsSent } from './support/query-plans';
import { newSecret } from './support/secrets';
import { newTeamOn } from './support/teams';
import { startTestApp, TestApp, useTestApp } from './support/test-app';
import { startWebhookReceiver, WebhookReceiver } from './support/webhook-receiver';

/** Queues `count` due deliveries for the team straight into the outbox, as a burst of events would. */
async function queueBacklog(dataSource: TestApp['dataSource'], teamId: string, url: string, count: number): Promise<void> {
  await dataSource.query(
    `INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, type, url, data, next_attempt_at)
     SELECT gen_random_uuid(), 'evt_' || i, $1, gen_random_uuid(), 'secret.expired', $2, '{}', now() - interval '1 minute'
       FROM generate_series(1, $3::int) i`,
    [teamId, url, count],
  );
}

/** `count` deliveries to as many secrets' webhook_url, each a host of its own that does not answer: due again in an hour. */
async function queueWaiting(dataSource: TestApp['dataSource'], teamId: string, count: number): Promise<void> {
  await dataSource.query(
    `INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, type, url, data, attempts, next_attempt_at)
     SELECT gen_random_uuid(), 'evt_' || i, $1, gen_random_uuid(), 'secret.viewed', 'https://h' || i || '.example/hook', '{}', 3,
            now() + interval '1 hour'
       FROM generate_series(1, $2::int) i`,
    [teamId, count],
  );
}

describe('a backlog of deliveries for one receiver', () => {
  // The poll as deployed (once a second), so a drain paced by it shows.
  const t = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true', PURGE_INTERVAL_SECONDS: '3600' } });
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());

  it('drains as fast as the receiver answers, not a poll at a time: 60 deletes are all delivered within 8 s (3 a poll would take 20)', async () => {
    const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
    await t.http().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: receiver.url }).expect(201);
    const secrets = [];
    for (let i = 0; i < 60; i++) secrets.push(await newSecret(t.baseUrl, {}, team.pat));
    for (const secret of secrets) await t.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(team.pat)).expect(204);
    expect(await eventually(() => receiver.received.length >= 60, 8)).toBe(true);
    expect(new Set(receiver.received.map((hook) => hook.json.data.secret_id))).toEqual(new Set(secrets.map((secret) => secret.id)));
  }, 60_000);
});

describe('an instance that polls rarely', () => {
  // A spec that starts an app on a database of its own waits for its migrations too: 20 s on the
  // embedded database on a busy machine, so those have 120 s.
  const env = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_INTERVAL_MS: '60000', PURGE_INTERVAL_SECONDS: '3600' };
  let db: TestDatabase;
  let app: TestApp | undefined;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  it('sends a delete’s and an expiry’s webhooks at once, without waiting for a poll', async () => {
    app = await startTestApp({ db, env });
    const team = await newTeamOn('pro', app.baseUrl, app.dataSource);
    const deleted = await newSecret(app.baseUrl, { webhook_url: receiver.url }, team.pat);
    await app.http().delete(`/api/v1/secrets/${deleted.id}`).set(bearer(team.pat)).expect(204);
    expect(await eventually(() => receiver.received.length === 1, 5)).toBe(true);

    const expired = await newSecret(app.baseUrl, { expire_mode: 'minutes', expire_value: 5, webhook_url: receiver.url }, team.pat);
    await app.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    await app.app.get(SecretPurger).purge();
    expect(await eventually(() => receiver.received.length === 2, 5)).toBe(true);
    expect(receiver.received.map((hook) => hook.json.type)).toEqual(['secret.deleted', 'secret.expired']);
  });

  it('sends what was queued while no instance ran as soon as it starts', async () => {
    const first = await startTestApp({ db, env });
    const team = await newTeamOn('pro', first.baseUrl, first.dataSource);
    await first.close();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      `INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, type, url, data, next_attempt_at)
       VALUES (gen_random_uuid(), 'evt_waiting', $1, gen_random_uuid(), 'secret.expired', $2, '{}', now())`,
      [team.owner.teamId, receiver.url],
    );
    await client.end();

    app = await startTestApp({ db, env });
    expect(await eventually(() => receiver.received.length === 1, 5)).toBe(true);
  });

  const isClaim = (text: string) => text.includes('UPDATE webhook_deliveries SET leased_until = now()');
  /** An instance with nothing under way. */
  const idle: ClaimRoom = {
    limit: 16,
    shared: 12,
    runningByTeam: new Map(),
    perTeam: 4,
    runningByDestination: new Map(),
    perDestination: 2,
    sending: [],
  };
  const deliveriesRead = (statement: SentStatement) => rowsRead(app!.dataSource, 'webhook_deliveries', statement);

  it('claims without reading a backlog it may not send now, however long: a busy destination’s, a busy team’s', async () => {
    // A database of its own: nothing else is due in it.
    app = await startTestApp({ env });
    const noisy = await newTeamOn('pro', app.baseUrl, app.dataSource);
    const quiet = await newTeamOn('pro', app.baseUrl, app.dataSource);
    await queueBacklog(app.dataSource, noisy.owner.teamId, 'http://busy.example/hook', 5_000);
    const claims = app.app.get(WebhookDeliveryRepository);
    const keyIds = app.app.get(Keyring).keyIds;
    await withStatementsSent(isClaim, async (statements) => {
      const rooms: ClaimRoom[] = [
        { ...idle, runningByDestination: new Map([[teamDestination(noisy.owner.teamId, 'busy.example'), 2]]) },
        { ...idle, runningByTeam: new Map([[noisy.owner.teamId, 4]]) },
      ];
      for (const [i, room] of rooms.entries()) {
        await queueBacklog(app!.dataSource, quiet.owner.teamId, `http://quiet-${i}.example/hook`, 1);
        const { deliveries: claimed } = await claims.claimDue(room, 15_000, keyIds, [], null);
        // The quiet team's one delivery goes, queued after all 5,000 as it was; none of the busy ones.
        expect(claimed.map((delivery) => delivery.destination)).toEqual([`quiet-${i}.example`]);
        expect(await deliveriesRead(statements.at(-1)!)).toBeLessThan(100);
      }
    });
  }, 120_000);

  it('claims without reading the deliveries waiting out their retries, however many destinations they go to', async () => {
    app = await startTestApp({ env });
    const noisy = await newTeamOn('pro', app.baseUrl, app.dataSource);
    const quiet = await newTeamOn('pro', app.baseUrl, app.dataSource);
    await queueWaiting(app.dataSource, noisy.owner.teamId, 20_000);
    await queueBacklog(app.dataSource, quiet.owner.teamId, 'http://quiet.example/hook', 1);
    await app.dataSource.query('ANALYZE webhook_deliveries');
    await withStatementsSent(isClaim, async (statements) => {
      const { deliveries: claimed } = await app!.app
        .get(WebhookDeliveryRepository)
        .claimDue(idle, 15_000, app!.app.get(Keyring).keyIds, [], null);
      expect(claimed.map((delivery) => delivery.destination)).toEqual(['quiet.example']);
      expect(await deliveriesRead(statements.at(-1)!)).toBeLessThan(1_000);
    });
  }, 120_000);

  it('in a backlog, walks 256 destinations a claim, on from where the last stopped: not all of them, yet each within ceil(pairs / 256) + 1 claims', async () => {
    app = await startTestApp({ env });
    // The walk goes by team, then destination: the late team's pairs come after all the noisy team's.
    const [noisy, late] = [await newTeamOn('pro', app.baseUrl, app.dataSource), await newTeamOn('pro', app.baseUrl, app.dataSource)].sort(
      (a, b) => (a.owner.teamId < b.owner.teamId ? -1 : 1),
    );
    // And 100 due behind a busy destination: a backlog.
    await queueWaiting(app.dataSource, noisy.owner.teamId, 20_000);
    await queueBacklog(app.dataSource, noisy.owner.teamId, 'http://busy.example/hook', 100);
    await queueBacklog(app.dataSource, late.owner.teamId, 'http://late.example/hook', 1);
    await app.dataSource.query('ANALYZE webhook_deliveries');
    const room: ClaimRoom = { ...idle, runningByDestination: new Map([[teamDestination(noisy.owner.teamId, 'busy.example'), 2]]) };
    const claims = app.app.get(WebhookDeliveryRepository);
    const keyIds = app.app.get(Keyring).keyIds;
    await withStatementsSent(isClaim, async (statements) => {
      let walkedTo: WalkPlace | null = null;
      for (let i = 1; i <= Math.ceil(20_000 / 256) + 1; i++) {
        const claim = await claims.claimDue(room, 15_000, keyIds, [], walkedTo);
        expect(await deliveriesRead(statements.at(-1)!)).toBeLessThan(1_000);
        if (claim.deliveries.length) {
          expect(claim.deliveries.map((delivery) => delivery.destination)).toEqual(['late.example']);
          return;
        }
        walkedTo = claim.walkedTo;
      }
      throw new Error('the late team’s delivery was never claimed');
    });
  }, 120_000);

  it('in a backlog, walks on at once while a claim finds nothing it may send: another team’s event behind 6,000 pairs goes out before the next poll (256 pairs a poll would take 24 polls)', async () => {
    // Held attempts run out only after the test.
    app = await startTestApp({ env: { ...env, WEBHOOK_TIMEOUT_MS: '60000' } });
    const [noisy, late] = [await newTeamOn('pro', app.baseUrl, app.dataSource), await newTeamOn('pro', app.baseUrl, app.dataSource)].sort(
      (a, b) => (a.owner.teamId < b.owner.teamId ? -1 : 1),
    );
    const held: ServerResponse[] = [];
    const holding = await startWebhookReceiver((res) => held.push(res));
    try {
      // The noisy team's pairs come first in the walk: 6,000 waiting out their retries, and 100 due
      // to a receiver that never answers (a backlog, left waiting once its destination's two places are taken).
      await queueWaiting(app.dataSource, noisy.owner.teamId, 6_000);
      await queueBacklog(app.dataSource, noisy.owner.teamId, holding.url, 100);
      await app.dataSource.query('ANALYZE webhook_deliveries');
      app.app.get(WebhookDispatcher).wake();
      expect(await eventually(() => held.length === 2, 10)).toBe(true);

      const secret = await newSecret(app.baseUrl, { webhook_url: receiver.url }, late.pat);
      await app.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(late.pat)).expect(204);
      // A poll comes once a minute: only the delete's own wake can send it within a third of one.
      expect(await eventually(() => receiver.received.length === 1, 20)).toBe(true);
      expect(receiver.received[0].json.data.secret_id).toBe(secret.id);
    } finally {
      for (const res of held) res.destroy();
      await holding.close();
    }
  }, 120_000);

  it('claims for a team only the destinations it has places for: one with the 128 oldest due leaves the others theirs', async () => {
    app = await startTestApp({ env });
    const noisy = await newTeamOn('pro', app.baseUrl, app.dataSource);
    const quiet = await newTeamOn('pro', app.baseUrl, app.dataSource);
    for (let i = 0; i < 200; i++) await queueBacklog(app.dataSource, noisy.owner.teamId, `http://h${i}.example/hook`, 1);
    await queueBacklog(app.dataSource, quiet.owner.teamId, 'http://quiet.example/hook', 1);
    const { deliveries: claimed } = await app.app
      .get(WebhookDeliveryRepository)
      .claimDue(idle, 15_000, app.app.get(Keyring).keyIds, [], null);
    expect(claimed.filter((delivery) => delivery.team_id === noisy.owner.teamId)).toHaveLength(4);
    expect(claimed.filter((delivery) => delivery.team_id === quiet.owner.teamId)).toHaveLength(1);
  }, 120_000);
});
