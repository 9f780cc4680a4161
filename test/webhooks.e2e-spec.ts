import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { AddressInfo, createServer as createNetServer, Socket } from 'node:net';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { TokenAuthenticator } from '../src/auth/token-authenticator';
import { ApiError } from '../src/common/errors/api-error';
import type { ClientInfo } from '../src/geo/client.decorator';
import { SecretPurger } from '../src/secrets/secret-purger';
import { WebhookDeliveriesService } from '../src/webhooks/webhook-deliveries.service';
import { WebhookEndpointsService } from '../src/webhooks/webhook-endpoints.service';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher';
import { WebhookSender } from '../src/webhooks/webhook-sender';
import supertest from 'supertest';
import { createTestDatabase, databaseMode, dumpDatabase, TestDatabase, waitingOnLocks } from './support/database';
import { DnsServer, startDnsServer } from './support/dns-server';
import { eventually } from './support/eventually';
import { bearer, newTeam, TestUser } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { canChooseNameserver, ServerProcess, serverEnvOn, startServerProcess } from './support/server-process';
import { newMember, newTeamAt, newTeamOn, setPlan } from './support/teams';
import { useTestApp } from './support/test-app';
import { ReceivedWebhook, startWebhookReceiver, WebhookReceiver } from './support/webhook-receiver';

/** Checks `Oncelink-Signature` by hand, as API.md describes it: every v1 entry that `secret` makes. */
function oncelinkSignatureValid(received: ReceivedWebhook, secret: string): boolean {
  const header = String(received.headers['oncelink-signature']);
  const t = /^t=(\d+),/.exec(header)?.[1];
  const expected = createHmac('sha256', secret).update(`${t}.${received.body}`).digest('hex');
  return header.split(',').includes(`v1=${expected}`);
}

/** Checks the Standard Webhooks headers with the standardwebhooks library. */
function standardSignatureValid(received: ReceivedWebhook, secret: string): boolean {
  try {
    new Webhook(secret).verify(received.body, received.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

describe('webhooks', () => {
  const t = useTestApp({
    env: {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_DELAYS: '0.2,0.2',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_POLL_INTERVAL_MS: '100',
      TRUST_PROXY: 'loopback',
      LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent',
    },
  });
  const api = t.http;
  let receiver: WebhookReceiver;
  let owner: TestUser;
  let pat: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    ({ owner, pat } = await newTeamOn('pro', t.baseUrl, t.dataSource));
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.respond = (res) => res.end('ok');
  });

  const receivedFor = (secretId: string) => receiver.received.filter((hook) => hook.json.data?.secret_id === secretId);
  const waitFor = async (secretId: string, count: number, seconds = 10) => {
    expect(await eventually(() => receivedFor(secretId).length >= count, seconds)).toBe(true);
    return receivedFor(secretId);
  };
  const deliveriesOf = async (secretId: string, token = pat) =>
    (await api().get(`/api/v1/secrets/${secretId}/webhook-deliveries`).set(bearer(token)).expect(200)).body.data;
  const webhookUrlsOf = async (...ids: string[]) =>
    (await t.dataSource.query('SELECT webhook_url FROM secrets WHERE id = ANY($1) ORDER BY array_position($1, id)', [ids])).map(
      (row: { webhook_url: string | null }) => row.webhook_url,
    );
  const webhookSecret = async () => (await api().get('/api/v1/team/webhook-secret').set(bearer(pat)).expect(200)).body.data.secret;

  describe('a secret’s webhook_url', () => {
    it('gets one signed secret.viewed per view that verifies with both schemes, carrying no content or token', async () => {
      const secret = await newSecret(t.baseUrl, { label: 'db password', expire_value: 3, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '5.9.0.1').expect(200);
      const [hook] = await waitFor(secret.id, 1);
      expect(hook.json).toEqual({
        id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
        type: 'secret.viewed',
        created_at: expect.any(String),
        data: { secret_id: secret.id, label: 'db password', views_remaining: 2, viewer_country: 'DE' },
      });
      expect(hook.body).not.toContain('correct horse');
      expect(hook.body).not.toContain(secret.token);
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['webhook-id']).toBe(hook.json.id);
      const secretKey = await webhookSecret();
      expect(oncelinkSignatureValid(hook, secretKey)).toBe(true);
      expect(standardSignatureValid(hook, secretKey)).toBe(true);
      // A forged body or another key does not verify.
      const forged = { ...hook, body: hook.body.replace('"views_remaining":2', '"views_remaining":9') };
      expect(oncelinkSignatureValid(forged, secretKey)).toBe(false);
      expect(standardSignatureValid(forged, secretKey)).toBe(false);
      expect(standardSignatureValid(hook, 'whsec_' + Buffer.alloc(32, 1).toString('base64'))).toBe(false);
      // Exactly one delivery per view.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(receivedFor(secret.id)).toHaveLength(1);
      const [delivery] = await deliveriesOf(secret.id);
      expect(delivery).toMatchObject({
        event_id: hook.json.id,
        type: 'secret.viewed',
        url: receiver.url,
        status: 'delivered',
        attempts: 1,
        last_status_code: 200,
        last_error: null,
        next_attempt_at: null,
        delivered_at: expect.any(String),
      });
    });

    it('sends secret.viewed and then secret.burned with the last view, with the viewer’s country (US from 8.8.8.8)', async () => {
      const secret = await newSecret(t.baseUrl, { webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).set('X-Forwarded-For', '8.8.8.8').expect(200);
      const hooks = await waitFor(secret.id, 2);
      expect(hooks.map((hook) => hook.json.type).sort()).toEqual(['secret.burned', 'secret.viewed']);
      expect(hooks.map((hook) => hook.json.data)).toEqual([
        expect.objectContaining({ views_remaining: 0, viewer_country: 'US' }),
        expect.objectContaining({ views_remaining: 0, viewer_country: 'US' }),
      ]);
      expect(new Set(hooks.map((hook) => hook.json.id)).size).toBe(2);
    });

    it('records nothing for a reveal that spends nothing (a missing passcode)', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'letmein', expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(401);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await deliveriesOf(secret.id)).toEqual([]);
    });

    it('sends secret.burned when the fifth wrong passcode burns the secret', async () => {
      const secret = await newSecret(t.baseUrl, { passcode: 'letmein', expire_value: 2, webhook_url: receiver.url }, pat);
      for (let i = 0; i < 5; i++) await reveal(t.baseUrl, secret.token, { passcode: `wrong ${i}` }).expect(401);
      const [hook] = await waitFor(secret.id, 1);
      expect(hook.json).toMatchObject({ type: 'secret.burned', data: { views_remaining: 2 } });
    });

    it('sends secret.deleted on DELETE and secret.expired when the purge finds it past its time', async () => {
      const deleted = await newSecret(t.baseUrl, { webhook_url: receiver.url }, pat);
      await api().delete(`/api/v1/secrets/${deleted.id}`).set(bearer(pat)).expect(204);
      expect((await waitFor(deleted.id, 1))[0].json).toMatchObject({ type: 'secret.deleted', data: { viewer_country: null } });

      const expired = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 5, webhook_url: receiver.url }, pat);
      await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
      await t.app.get(SecretPurger).purge();
      expect((await waitFor(expired.id, 1))[0].json).toMatchObject({ type: 'secret.expired', data: { views_remaining: null } });
      // The tombstones keep no webhook URL: each delivery has its own.
      expect(await webhookUrlsOf(deleted.id, expired.id)).toEqual([null, null]);
    });

    it('shows a member the URL of a secret they did not make without its query, its creator and admins all of it; the tombstone keeps none', async () => {
      const url = `${receiver.url}?token=MRKZwhq1`;
      const { pat: memberPat } = await newMember(t.baseUrl, pat, owner.teamId, 'member', ['secrets:read', 'secrets:write']);
      const { pat: adminPat } = await newMember(t.baseUrl, pat, owner.teamId, 'admin');
      const ownersSecret = await newSecret(t.baseUrl, { webhook_url: url }, pat);
      const membersSecret = await newSecret(t.baseUrl, { webhook_url: url }, memberPat);
      const shown = async (id: string, token: string) => {
        const one = (await api().get(`/api/v1/secrets/${id}`).set(bearer(token)).expect(200)).body.data.webhook_url;
        const listed = (await api().get('/api/v1/secrets?per_page=100').set(bearer(token)).expect(200)).body.data;
        expect(listed.find((secret: { id: string }) => secret.id === id).webhook_url).toBe(one);
        return one as string;
      };
      expect(await shown(ownersSecret.id, memberPat)).toBe(`${receiver.url}?…`);
      expect(await shown(ownersSecret.id, pat)).toBe(url);
      expect(await shown(ownersSecret.id, adminPat)).toBe(url);
      expect(await shown(membersSecret.id, memberPat)).toBe(url);

      await reveal(t.baseUrl, ownersSecret.token).expect(200);
      const hooks = await waitFor(ownersSecret.id, 2);
      expect(hooks.map((hook) => hook.path)).toEqual(['/hook?token=MRKZwhq1', '/hook?token=MRKZwhq1']);
      expect(await webhookUrlsOf(ownersSecret.id)).toEqual([null]);
      expect((await deliveriesOf(ownersSecret.id)).map((delivery: { url: string }) => delivery.url)).toEqual([url, url]);
    });

    it('is refused past 2048 characters as it is stored, percent-encoded, whatever its length as sent, on a secret and an endpoint alike', async () => {
      // 400 characters sent as é, 2400 stored as %C3%A9: the limit is the stored form's.
      const long = `${receiver.url}/${'é'.repeat(400)}`;
      expect(long.length).toBeLessThan(2048);
      const tooLong = (field: string) => ({
        [field]: [`The ${field.replace('_', ' ')} field must not be greater than 2048 characters once percent-encoded as it is stored.`],
      });
      const secretsBefore = await t.dataSource.query('SELECT count(*)::int AS n FROM secrets');
      const json = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, webhook_url: long })
        .expect(422);
      expect(json.body.errors).toEqual(tooLong('webhook_url'));
      const form = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .field('expire_mode', 'views')
        .field('expire_value', '1')
        .field('webhook_url', long)
        .attach('file', Buffer.from('x'), 'a.txt')
        .expect(422);
      expect(form.body.errors).toEqual(tooLong('webhook_url'));
      // What the guard refuses for what it holds is refused for that, however long its stored form.
      const spaced = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, webhook_url: `${receiver.url}/${' '.repeat(1000)}` })
        .expect(422);
      expect(spaced.body.errors).toEqual({
        webhook_url: ['The webhook url field must not contain spaces, control characters or backslashes.'],
      });
      expect(await t.dataSource.query('SELECT count(*)::int AS n FROM secrets')).toEqual(secretsBefore);

      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      expect((await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: long }).expect(422)).body.errors).toEqual(
        tooLong('url'),
      );
      const endpoint = (await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: receiver.url }).expect(201)).body.data;
      const patched = await api().patch(`/api/v1/team/webhooks/${endpoint.id}`).set(bearer(team.pat)).send({ url: long }).expect(422);
      expect(patched.body.errors).toEqual(tooLong('url'));
      expect(await t.dataSource.query('SELECT url FROM webhook_endpoints WHERE team_id = $1', [team.owner.teamId])).toEqual([
        { url: receiver.url },
      ]);

      // 2048 stored is taken, and its events go out.
      const prefix = `${receiver.url}/${'é'.repeat(300)}`;
      const fits = prefix + 'a'.repeat(2048 - (prefix.length - 300 + 300 * 6));
      const secret = await newSecret(t.baseUrl, { webhook_url: fits }, pat);
      expect(secret.webhook_url).toHaveLength(2048);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect((await waitFor(secret.id, 2)).map((hook) => hook.path.length)).toEqual([
        2048 - receiver.url.indexOf('/hook'),
        2048 - receiver.url.indexOf('/hook'),
      ]);
    });

    it('is delivered to, and reveals, deletes and expires its secret, when it was stored longer than 2048 characters before the stored form was checked', async () => {
      const long = `${receiver.url}/${'%C3%A9'.repeat(500)}`;
      const revealed = await newSecret(t.baseUrl, { webhook_url: receiver.url }, pat);
      const deleted = await newSecret(t.baseUrl, { webhook_url: receiver.url }, pat);
      const expiring = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 5, webhook_url: receiver.url }, pat);
      const neighbour = await newSecret(t.baseUrl, { expire_mode: 'minutes', expire_value: 5 }, pat);
      const ids = [revealed.id, deleted.id, expiring.id];
      await t.dataSource.query('UPDATE secrets SET webhook_url = $1 WHERE id = ANY($2)', [long, ids]);

      await reveal(t.baseUrl, revealed.token).expect(200);
      await api().delete(`/api/v1/secrets/${deleted.id}`).set(bearer(pat)).expect(204);
      await t.dataSource.query(`UPDATE secrets SET expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [
        [expiring.id, neighbour.id],
      ]);
      await t.app.get(SecretPurger).purge();
      const statuses = await t.dataSource.query('SELECT status FROM secrets WHERE id = ANY($1) ORDER BY array_position($1, id)', [
        [...ids, neighbour.id],
      ]);
      expect(statuses.map((row: { status: string }) => row.status)).toEqual(['burned', 'deleted', 'expired', 'expired']);
      const types = ['secret.burned', 'secret.deleted', 'secret.expired'];
      for (const [i, id] of ids.entries()) {
        const hooks = await waitFor(id, i === 0 ? 2 : 1);
        expect(hooks.map((hook) => hook.json.type)).toContain(types[i]);
        expect(hooks.every((hook) => hook.path === long.slice(receiver.url.indexOf('/hook')))).toBe(true);
      }
    });
  });

  describe('retries', () => {
    /** The receiver answers its first request 503 with this Retry-After, then 200. */
    const unavailableOnce = (retryAfter: string) => {
      receiver.respond = (res, n) => {
        res.statusCode = n === 0 ? 503 : 200;
        if (n === 0) res.setHeader('Retry-After', retryAfter);
        res.end();
      };
    };

    it('delivers on the third attempt to a receiver that fails twice, and logs every attempt', async () => {
      receiver.respond = (res, n) => {
        res.statusCode = n < 2 ? 500 : 204;
        res.end();
      };
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      const hooks = await waitFor(secret.id, 3);
      expect(new Set(hooks.map((hook) => hook.json.id)).size).toBe(1);
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0].status === 'delivered', 5)).toBe(true);
      const [delivery] = await deliveriesOf(secret.id);
      expect(delivery).toMatchObject({ attempts: 3, last_status_code: 204, last_error: null });
      expect(
        delivery.history.map((attempt: { status_code: number; error: string | null }) => [attempt.status_code, attempt.error]),
      ).toEqual([
        [500, 'HTTP 500'],
        [500, 'HTTP 500'],
        [204, null],
      ]);
      expect(delivery.history[0]).toEqual({
        attempt: 1,
        at: expect.any(String),
        status_code: 500,
        error: 'HTTP 500',
        duration_ms: expect.any(Number),
      });
    });

    it('sends again at once, within the attempt, when the receiver had closed the kept-alive connection it goes out on', async () => {
      const connections = new Set<Socket>();
      receiver.respond = (res) => {
        connections.add(res.socket!);
        res.end('ok');
      };
      // The receiver closes its idle connection just as the next send begins, before this side
      // has taken in the close (its keep-alive timeout running out first), as a race would have it.
      let closeFirst = false;
      const sender = t.app.get(WebhookSender);
      const send = sender.send.bind(sender);
      const spy = jest.spyOn(sender, 'send').mockImplementation((...args) => {
        if (closeFirst) {
          closeFirst = false;
          for (const connection of connections) connection.destroy();
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        }
        return send(...args);
      });
      try {
        const secret = await newSecret(t.baseUrl, { expire_value: 3, webhook_url: receiver.url }, pat);
        await reveal(t.baseUrl, secret.token).expect(200);
        expect(await eventually(async () => (await deliveriesOf(secret.id))[0]?.status === 'delivered', 5)).toBe(true);
        closeFirst = true;
        await reveal(t.baseUrl, secret.token).expect(200);
        expect(
          await eventually(async () => (await deliveriesOf(secret.id)).every((d: { status: string }) => d.status === 'delivered'), 5),
        ).toBe(true);
        expect(closeFirst).toBe(false);
        const deliveries = await deliveriesOf(secret.id);
        expect(
          deliveries.map((delivery: { attempts: number; last_error: string | null }) => [delivery.attempts, delivery.last_error]),
        ).toEqual([
          [1, null],
          [1, null],
        ]);
        expect(receivedFor(secret.id)).toHaveLength(2);
      } finally {
        spy.mockRestore();
      }
    });

    it('counts a request the receiver read and then cut off, on a kept-alive connection, as a failed attempt, never sending it twice in one', async () => {
      const cutUrl = `http://127.0.0.1:${receiver.port}/cut`;
      receiver.respond = (res, _n, received) => {
        if (received.path === '/cut') return void res.socket!.destroy();
        res.end('ok');
      };
      // A delivery answered 200 leaves its connection kept alive for the next one there.
      const first = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, first.token).expect(200);
      expect(await eventually(async () => (await deliveriesOf(first.id))[0]?.status === 'delivered', 5)).toBe(true);
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: cutUrl }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0]?.status === 'failed', 10)).toBe(true);
      const [delivery] = await deliveriesOf(secret.id);
      expect(delivery).toMatchObject({ attempts: 3, last_error: 'socket hang up' });
      expect(delivery.history.map((attempt: { attempt: number; error: string }) => [attempt.attempt, attempt.error])).toEqual([
        [1, 'socket hang up'],
        [2, 'socket hang up'],
        [3, 'socket hang up'],
      ]);
      // One POST an attempt, each the same event.
      const hooks = receivedFor(secret.id);
      expect(hooks).toHaveLength(3);
      expect(new Set(hooks.map((hook) => hook.headers['webhook-id'])).size).toBe(1);
    });

    it('waits as long as the receiver’s Retry-After asks before trying again', async () => {
      unavailableOnce('2');
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      // Recorded once the receiver's answer has been read, a moment after it was received.
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0].history.length === 1, 5)).toBe(true);
      const [waiting] = await deliveriesOf(secret.id);
      expect(waiting).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 503 });
      // The schedule says 0.2 s; the receiver asked for 2.
      expect(Date.parse(waiting.next_attempt_at) - Date.parse(waiting.last_attempt_at)).toBeGreaterThanOrEqual(1900);
      await waitFor(secret.id, 2);
    });

    it.each([
      ['0', 'asks for less'],
      ['-5', 'is neither seconds nor a date'],
      ['1.5', 'is neither seconds nor a date'],
    ])('keeps to the schedule when a Retry-After of %s %s', async (value) => {
      unavailableOnce(value);
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      await waitFor(secret.id, 2);
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0].status === 'delivered', 5)).toBe(true);
      const [first, second] = (await deliveriesOf(secret.id))[0].history;
      // The schedule's 0.2 s after the first attempt, not a retry at once (Date.parse reads "-5" and "1.5" as dates long past).
      expect(Date.parse(second.at) - Date.parse(first.at)).toBeGreaterThanOrEqual(200);
    });

    it('retries a connection error and, after the last delay, leaves the delivery failed and visible', async () => {
      const closed = await startWebhookReceiver();
      await closed.close(); // nothing listens on its port any more
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: closed.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0].status === 'failed', 10)).toBe(true);
      const [delivery] = await deliveriesOf(secret.id);
      expect(delivery).toMatchObject({ attempts: 3, last_status_code: null, next_attempt_at: null, delivered_at: null });
      expect(delivery.history.map((attempt: { error: string }) => attempt.error)).toEqual([
        expect.stringMatching(/ECONNREFUSED/),
        expect.stringMatching(/ECONNREFUSED/),
        expect.stringMatching(/ECONNREFUSED/),
      ]);

      const withStatus = async (path: string, status: string) =>
        (await api().get(`${path}?status=${status}&per_page=100`).set(bearer(pat)).expect(200)).body.data as {
          id: string;
          status: string;
        }[];
      const failed = await withStatus('/api/v1/team/webhook-deliveries', 'failed');
      expect(failed.map((d) => d.id)).toContain(delivery.id);
      expect(new Set(failed.map((d) => d.status))).toEqual(new Set(['failed']));
      const delivered = await withStatus('/api/v1/team/webhook-deliveries', 'delivered');
      expect(delivered.length).toBeGreaterThan(0);
      expect(delivered.map((d) => d.id)).not.toContain(delivery.id);
      expect(await withStatus(`/api/v1/secrets/${secret.id}/webhook-deliveries`, 'delivered')).toEqual([]);
      const refused = await api().get('/api/v1/team/webhook-deliveries?status=lost').set(bearer(pat)).expect(422);
      expect(Object.keys(refused.body.errors)).toEqual(['status']);
    });

    it('judges by the status line: a 200 whose body never finishes is delivered, and not sent again', async () => {
      const held: ServerResponse[] = [];
      receiver.respond = (res) => {
        res.writeHead(200, { 'content-length': '10' });
        res.write('12345');
        held.push(res);
      };
      try {
        const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
        await reveal(t.baseUrl, secret.token).expect(200);
        await waitFor(secret.id, 1);
        expect(await eventually(async () => (await deliveriesOf(secret.id))[0]?.status !== 'pending', 5)).toBe(true);
        expect((await deliveriesOf(secret.id))[0]).toMatchObject({
          status: 'delivered',
          attempts: 1,
          last_status_code: 200,
          last_error: null,
        });
        // Past WEBHOOK_TIMEOUT_MS (1 s) and a retry delay (0.2 s): nothing more was sent.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(receivedFor(secret.id)).toHaveLength(1);
      } finally {
        for (const res of held) res.destroy();
      }
    });

    it('does not follow a redirect: a 3xx is a failed attempt', async () => {
      receiver.respond = (res) => {
        res.writeHead(302, { Location: '/elsewhere' }).end();
      };
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0].status === 'failed', 10)).toBe(true);
      expect(receiver.received.filter((hook) => hook.path === '/elsewhere')).toEqual([]);
      const [delivery] = await deliveriesOf(secret.id);
      expect(delivery).toMatchObject({ attempts: 3, last_status_code: 302, last_error: 'Redirect (302) not followed' });
    });

    it('gives up on a receiver that does not answer in WEBHOOK_TIMEOUT_MS, keeps the failure visible, and sends it again on request', async () => {
      receiver.respond = () => undefined; // never answers
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0].status === 'failed', 15)).toBe(true);
      const [failed] = await deliveriesOf(secret.id);
      expect(failed).toMatchObject({ attempts: 3, last_status_code: null, last_error: 'No answer within 1000 ms', next_attempt_at: null });

      receiver.respond = (res) => res.end('ok');
      const retried = await api().post(`/api/v1/webhook-deliveries/${failed.id}/retry`).set(bearer(pat)).expect(202);
      expect(retried.body).toEqual({ message: 'Delivery queued.' });
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0].status === 'delivered', 5)).toBe(true);
      expect((await deliveriesOf(secret.id))[0]).toMatchObject({ attempts: 4, last_status_code: 200 });
    });
  });

  describe('a receiver that does not answer', () => {
    it('holds up only its own delivery: another secret’s goes out while it is still waiting', async () => {
      let slowClosed = false;
      const slow = await startWebhookReceiver((res) => res.on('close', () => (slowClosed = true)));
      try {
        const stuck = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: slow.url }, pat);
        await reveal(t.baseUrl, stuck.token).expect(200);
        expect(await eventually(() => slow.received.length === 1, 5)).toBe(true);

        let slowOpenWhenDelivered: boolean | undefined;
        receiver.respond = (res) => {
          slowOpenWhenDelivered ??= !slowClosed;
          res.end('ok');
        };
        const other = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
        await reveal(t.baseUrl, other.token).expect(200);
        await waitFor(other.id, 1);
        // The stuck attempt lasts WEBHOOK_TIMEOUT_MS (1 s); the other went out on a poll (100 ms) within it.
        expect(slowOpenWhenDelivered).toBe(true);
      } finally {
        await slow.close();
      }
    });
  });

  describe('a receiver that switches protocols', () => {
    it('gets a failed attempt for its 101 within the timeout, and the delivery runs its course', async () => {
      const upgrading = createNetServer((socket) => {
        socket.once('data', () => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => upgrading.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(upgrading.address() as AddressInfo).port}/hook`;
        const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: url }, pat);
        await reveal(t.baseUrl, secret.token).expect(200);
        expect(await eventually(async () => (await deliveriesOf(secret.id))[0].status === 'failed', 10)).toBe(true);
        const [delivery] = await deliveriesOf(secret.id);
        expect(delivery).toMatchObject({ attempts: 3, last_status_code: 101, last_error: 'HTTP 101', next_attempt_at: null });
        expect(delivery.history).toHaveLength(3);
      } finally {
        await new Promise((resolve) => upgrading.close(resolve));
      }
    });
  });

  describe('team endpoints', () => {
    let endpointReceiver: WebhookReceiver;
    beforeAll(async () => {
      endpointReceiver = await startWebhookReceiver();
    });
    afterAll(() => endpointReceiver.close());

    it.each([
      [200, { status: 'delivered', last_status_code: 200, last_error: null }],
      [500, { status: 'failed', last_status_code: 500, last_error: 'The endpoint was deleted.', next_attempt_at: null }],
    ])('records what an attempt in flight when its endpoint is deleted got (%i), and sends nothing more', async (answer, outcome) => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const held: Array<() => void> = [];
      const slow = await startWebhookReceiver((res) => held.push(() => res.writeHead(answer).end()));
      try {
        const endpoint = await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: slow.url }).expect(201);
        const secret = await newSecret(t.baseUrl, {}, team.pat);
        await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(team.pat)).expect(204);
        expect(await eventually(() => held.length === 1, 5)).toBe(true);
        await api().delete(`/api/v1/team/webhooks/${endpoint.body.data.id}`).set(bearer(team.pat)).expect(204);
        held[0]();
        const log = async () => (await api().get('/api/v1/team/webhook-deliveries').set(bearer(team.pat)).expect(200)).body.data;
        expect(await eventually(async () => (await log())[0].history.length === 1, 5)).toBe(true);
        // Past the schedule's 0.2 s: a failure is not sent again to the deleted endpoint.
        await new Promise((resolve) => setTimeout(resolve, 600));
        expect(slow.received).toHaveLength(1);
        expect((await log())[0]).toMatchObject({ attempts: 1, ...outcome });
      } finally {
        await slow.close();
      }
    });

    it('receive every event of the team they take, and only those', async () => {
      const all = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url: endpointReceiver.url }).expect(201);
      expect(all.body).toEqual({
        message: 'Webhook endpoint created.',
        data: {
          id: expect.any(String),
          url: endpointReceiver.url,
          events: ['secret.viewed', 'secret.burned', 'secret.expired', 'secret.deleted'],
          created_at: expect.any(String),
        },
      });
      const deletesOnly = await api()
        .post('/api/v1/team/webhooks')
        .set(bearer(pat))
        .send({ url: `${receiver.url}?deletes`, events: ['secret.deleted'] })
        .expect(201);

      const viewed = await newSecret(t.baseUrl, { expire_value: 2 }, pat);
      await reveal(t.baseUrl, viewed.token).expect(200);
      const deleted = await newSecret(t.baseUrl, {}, pat);
      await api().delete(`/api/v1/secrets/${deleted.id}`).set(bearer(pat)).expect(204);

      expect(await eventually(() => endpointReceiver.received.length >= 2, 10)).toBe(true);
      expect(await eventually(() => receivedFor(deleted.id).length >= 1, 10)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(endpointReceiver.received.map((hook) => [hook.json.type, hook.json.data.secret_id])).toEqual([
        ['secret.viewed', viewed.id],
        ['secret.deleted', deleted.id],
      ]);
      expect(receiver.received.map((hook) => [hook.path, hook.json.type])).toEqual([['/hook?deletes', 'secret.deleted']]);
      expect(standardSignatureValid(endpointReceiver.received[0], await webhookSecret())).toBe(true);

      const log = await api().get('/api/v1/team/webhook-deliveries').set(bearer(pat)).expect(200);
      expect(log.body.data.slice(0, 3).map((d: { type: string; endpoint_id: string }) => [d.type, d.endpoint_id])).toEqual([
        ['secret.deleted', expect.any(String)],
        ['secret.deleted', expect.any(String)],
        ['secret.viewed', all.body.data.id],
      ]);

      const list = await api().get('/api/v1/team/webhooks').set(bearer(pat)).expect(200);
      expect(list.body.data.map((endpoint: { id: string }) => endpoint.id)).toEqual([all.body.data.id, deletesOnly.body.data.id]);
      await api().delete(`/api/v1/team/webhooks/${all.body.data.id}`).set(bearer(pat)).expect(204);
      // A deleted endpoint's deliveries are not sent again.
      const toDeleted = log.body.data.find((d: { endpoint_id: string }) => d.endpoint_id === all.body.data.id);
      const refused = await api().post(`/api/v1/webhook-deliveries/${toDeleted.id}/retry`).set(bearer(pat)).expect(409);
      expect(refused.body.code).toBe('endpoint_deleted');
      await api().delete(`/api/v1/team/webhooks/${deletesOnly.body.data.id}`).set(bearer(pat)).expect(204);
      await api().delete(`/api/v1/team/webhooks/${deletesOnly.body.data.id}`).set(bearer(pat)).expect(404);
      expect((await api().get('/api/v1/team/webhooks').set(bearer(pat)).expect(200)).body.data).toEqual([]);
    });

    it('send an event once to a URL that is both the secret’s own and a team endpoint’s, as stored, however it was sent', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const both = await startWebhookReceiver();
      try {
        await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: both.url }).expect(201);
        await api()
          .post('/api/v1/team/webhooks')
          .set(bearer(team.pat))
          .send({ url: `${both.url}?other` })
          .expect(201);
        const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: both.url.replace('http://', 'HTTP://') }, team.pat);
        await reveal(t.baseUrl, secret.token).expect(200);
        expect(await eventually(() => both.received.length >= 2, 10)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(both.received.map((hook) => [hook.path, hook.json.type]).sort()).toEqual([
          ['/hook', 'secret.viewed'],
          ['/hook?other', 'secret.viewed'],
        ]);
        const deliveries = await deliveriesOf(secret.id, team.pat);
        expect(deliveries.map((d: { endpoint_id: string | null }) => d.endpoint_id === null).sort()).toEqual([false, true]);
      } finally {
        await both.close();
      }
    });

    it('are a Pro feature: a free team gets 403 plan_limit', async () => {
      const free = await newTeam(t.baseUrl);
      const res = await api().post('/api/v1/team/webhooks').set(bearer(free.pat)).send({ url: receiver.url }).expect(403);
      expect(res.body).toMatchObject({ code: 'plan_limit' });
    });

    it('go quiet, with the secret’s own webhook_url, while the team is on a plan without webhooks, and resume when it is back', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const endpoint = await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: endpointReceiver.url }).expect(201);
      const secret = await newSecret(t.baseUrl, { expire_value: 4, webhook_url: receiver.url }, team.pat);
      const recordedFor = async (secretId: string) =>
        (await api().get(`/api/v1/secrets/${secretId}/webhook-deliveries`).set(bearer(team.pat)).expect(200)).body.data as {
          id: string;
          url: string;
          status: string;
        }[];
      await reveal(t.baseUrl, secret.token).expect(200);
      const delivered = async () => (await recordedFor(secret.id)).every((delivery) => delivery.status === 'delivered');
      expect(await eventually(delivered, 10)).toBe(true);
      const recorded = await recordedFor(secret.id);
      expect(recorded).toHaveLength(2);

      await setPlan(t.dataSource, team.owner.teamId, 'free');
      await reveal(t.baseUrl, secret.token).expect(200);
      const deleted = await newSecret(t.baseUrl, {}, team.pat);
      await api().delete(`/api/v1/secrets/${deleted.id}`).set(bearer(team.pat)).expect(204);
      expect(await recordedFor(secret.id)).toEqual(recorded);
      expect(await recordedFor(deleted.id)).toEqual([]);
      // Nor is anything recorded before sent again by hand: a retry would have made it pending before answering.
      const refused = await api().post(`/api/v1/webhook-deliveries/${recorded[0].id}/retry`).set(bearer(team.pat)).expect(403);
      expect(refused.body).toMatchObject({ code: 'plan_limit' });
      expect(await recordedFor(secret.id)).toEqual(recorded);
      // The endpoint is kept for when the team comes back.
      const kept = await api().get('/api/v1/team/webhooks').set(bearer(team.pat)).expect(200);
      expect(kept.body.data.map((e: { id: string }) => e.id)).toEqual([endpoint.body.data.id]);

      await setPlan(t.dataSource, team.owner.teamId, 'pro');
      await reveal(t.baseUrl, secret.token).expect(200);
      const heard = await waitFor(secret.id, 2);
      expect(heard.map((hook) => hook.json.data.views_remaining)).toEqual([3, 1]);
      expect(
        await eventually(() => endpointReceiver.received.filter((hook) => hook.json.data?.secret_id === secret.id).length === 2, 10),
      ).toBe(true);
      const urls = (await recordedFor(secret.id)).map((d) => d.url).sort();
      expect(urls).toEqual([endpointReceiver.url, endpointReceiver.url, receiver.url, receiver.url].sort());
      await api().post(`/api/v1/webhook-deliveries/${recorded[0].id}/retry`).set(bearer(team.pat)).expect(202);
      await api().delete(`/api/v1/team/webhooks/${endpoint.body.data.id}`).set(bearer(team.pat)).expect(204);
    });

    it('are for admins: a member gets 403', async () => {
      const { pat: memberPat } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      await api().post('/api/v1/team/webhooks').set(bearer(memberPat)).send({ url: receiver.url }).expect(403);
      await api().get('/api/v1/team/webhooks').set(bearer(memberPat)).expect(403);
      await api().get('/api/v1/team/webhook-deliveries').set(bearer(memberPat)).expect(403);
    });

    it.each([
      [{ url: null }, 'url'],
      [{}, 'url'],
      [{ url: 'ftp://example.com/x' }, 'url'],
      [{ url: 'http://127.0.0.1/', events: [] }, 'events'],
      [{ url: 'http://127.0.0.1/', events: ['secret.read'] }, 'events'],
      [{ url: 'http://127.0.0.1/', events: ['secret.viewed', 'secret.viewed'] }, 'events'],
      [{ url: 'http://127.0.0.1/', events: 'secret.viewed' }, 'events'],
      [{ url: 'http://127.0.0.1/', events: null }, 'events'],
    ])('refuses %j with a 422 on %s', async (body, field) => {
      const res = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send(body).expect(422);
      expect(Object.keys(res.body.errors)).toEqual([field]);
    });

    it.each(['secret.viewed', null, 7])('says events must be an array when it is %j', async (events) => {
      const res = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url: 'http://127.0.0.1/', events }).expect(422);
      expect(res.body.errors).toEqual({ events: ['The events field must be an array.'] });
    });

    it.each([
      ['spaces around it', (url: string) => ` ${url} `],
      ['a line break and a header after it', (url: string) => `${url}/x\r\nX-Injected: 1`],
      ['a space inside', (url: string) => `${url}/a b`],
      ['port 0', () => 'http://127.0.0.1:0/'],
      ['a right-to-left override', (url: string) => `${url}/\u202e`],
      ['a zero-width space', (url: string) => `${url}/a\u200bb`],
      ['a backslash', (url: string) => `${url}\\x`],
      ['an empty authority', () => 'http:///127.0.0.1/x'],
      ['no // before its host', () => 'http:127.0.0.1/x'],
      [
        'a host name over 253 characters',
        () => `http://${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(20)}.example/`,
      ],
      ['a host label over 63 characters', () => `http://${'a'.repeat(64)}.example/`],
    ])('refuses a URL with %s, which would be called other than it is shown, or never', async (_case, url) => {
      const res = await api()
        .post('/api/v1/team/webhooks')
        .set(bearer(pat))
        .send({ url: url(receiver.url) })
        .expect(422);
      expect(Object.keys(res.body.errors)).toEqual(['url']);
      const secret = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, webhook_url: url(receiver.url) })
        .expect(422);
      expect(Object.keys(secret.body.errors)).toEqual(['webhook_url']);
    });

    it.each([
      'http://169.254.169.254/latest/meta-data/iam/',
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'http://[fe80::1]/hook',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://metadata.google.internal/computeMetadata/v1/',
    ])('refuses %s even with WEBHOOK_ALLOW_PRIVATE: link-local and metadata addresses reach cloud credentials', async (url) => {
      const message = 'The url field must not point to a link-local or metadata address.';
      const res = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url }).expect(422);
      expect(res.body.errors).toEqual({ url: [message] });
      const secret = await api()
        .post('/api/v1/secrets')
        .set(bearer(pat))
        .send({ content: 'x', expire_mode: 'views', expire_value: 1, webhook_url: url })
        .expect(422);
      expect(secret.body.errors).toEqual({ webhook_url: [message.replace('url field', 'webhook url field')] });
    });

    it('refuses to connect to a metadata address even with WEBHOOK_ALLOW_PRIVATE, for a delivery queued before it was refused', async () => {
      const secret = await newSecret(t.baseUrl, {}, pat);
      const [queued] = await t.dataSource.query(
        `INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, type, url, data, next_attempt_at)
         VALUES (gen_random_uuid(), 'evt_metadata', $1, $2, 'secret.viewed', 'http://169.254.169.254/latest/meta-data/iam/', '{}', now())
         RETURNING id`,
        [owner.teamId, secret.id],
      );
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0]?.attempts >= 1, 10)).toBe(true);
      const [delivery] = await deliveriesOf(secret.id);
      expect(delivery).toMatchObject({ id: queued.id, last_status_code: null, last_error: "Refused: the host's address is not public." });
    });

    it('refuses a second endpoint for a URL the team already has, however it is spelt', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const url = `${receiver.url}/dup`;
      await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url }).expect(201);
      for (const again of [url, url.replace('http://', 'HTTP://')]) {
        const res = await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: again }).expect(422);
        expect(res.body).toEqual({
          message: 'The given data was invalid.',
          errors: { url: ['A webhook endpoint with this URL already exists.'] },
        });
      }
      const list = await api().get('/api/v1/team/webhooks').set(bearer(team.pat)).expect(200);
      expect(list.body.meta.total).toBe(1);
      // Another team may use the same URL.
      await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url }).expect(201);
    });

    it('store one spelling of a URL, so a second endpoint spelt otherwise is refused too', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: 'https://example.com/hook' }).expect(201);
      for (const again of [
        'https://Example.COM.:443/%68ook?',
        'https://example.com./hook',
        'https://example.com../hook',
        'https://example.com/hook?',
        'https://example.com/%68ook',
        'https://example.com:443/hook',
      ]) {
        const res = await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: again }).expect(422);
        expect(res.body.errors).toEqual({ url: ['A webhook endpoint with this URL already exists.'] });
      }
      // Only unreserved characters' encodings mean the characters themselves; `%2F` is not `/`.
      const other = await api()
        .post('/api/v1/team/webhooks')
        .set(bearer(team.pat))
        .send({ url: 'https://Example.COM.:443/a%2fb?q=%7e%3d' })
        .expect(201);
      expect(other.body.data.url).toBe('https://example.com/a%2Fb?q=~%3D');
      const secret = await newSecret(t.baseUrl, { webhook_url: 'https://HOOKS.example.com.:443/x?' }, team.pat);
      expect(secret.webhook_url).toBe('https://hooks.example.com/x');
      // A row stored before URLs were stored in one spelling is judged by that spelling too.
      await t.dataSource.query(
        `UPDATE webhook_endpoints SET url = 'https://example.com.:443/%68ook?' WHERE url = 'https://example.com/hook' AND team_id = $1`,
        [team.owner.teamId],
      );
      await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: 'https://example.com/hook' }).expect(422);
    });

    it.each(['https://:@example.com/hook', 'https://@example.com/hook', 'https://user@example.com/hook'])(
      'refuses %s: an @ in the host is credentials, even empty ones',
      async (url) => {
        const res = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url }).expect(422);
        expect(res.body.errors).toEqual({ url: ['The url field must be an http or https URL without credentials.'] });
      },
    );

    it.each(['ftp://example.com/', 'http://u:p@127.0.0.1:4101/c'])(
      'refuses %s saying what WEBHOOK_ALLOW_PRIVATE takes: http or https, not https alone',
      async (url) => {
        const res = await api().post('/api/v1/team/webhooks').set(bearer(pat)).send({ url }).expect(422);
        expect(res.body.errors).toEqual({ url: ['The url field must be an http or https URL without credentials.'] });
      },
    );

    it('change their URL or events with PATCH: what is still due goes to the new URL, and the change is audited', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const busy = await startWebhookReceiver((res) => res.writeHead(503, { 'Retry-After': '3600' }).end());
      const moved = await startWebhookReceiver();
      try {
        const endpoint = (await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: busy.url }).expect(201)).body.data;
        const path = `/api/v1/team/webhooks/${endpoint.id}`;
        const deleted = await newSecret(t.baseUrl, {}, team.pat);
        await api().delete(`/api/v1/secrets/${deleted.id}`).set(bearer(team.pat)).expect(204);
        expect(await eventually(() => busy.received.length === 1, 5)).toBe(true);

        const changed = await api().patch(path).set(bearer(team.pat)).send({ url: moved.url }).expect(200);
        expect(changed.body).toEqual({ message: 'Webhook endpoint updated.', data: { ...endpoint, url: moved.url } });
        const [due] = (await api().get('/api/v1/team/webhook-deliveries').set(bearer(team.pat)).expect(200)).body.data;
        expect(due).toMatchObject({ status: 'pending', url: moved.url, attempts: 1 });
        await api().post(`/api/v1/webhook-deliveries/${due.id}/retry`).set(bearer(team.pat)).expect(202);
        expect(await eventually(() => moved.received.length === 1, 5)).toBe(true);
        expect(moved.received[0].json).toMatchObject({ type: 'secret.deleted', data: { secret_id: deleted.id } });

        const narrowed = await api()
          .patch(path)
          .set(bearer(team.pat))
          .send({ events: ['secret.viewed'] })
          .expect(200);
        expect(narrowed.body.data).toEqual({ ...endpoint, url: moved.url, events: ['secret.viewed'] });
        const viewed = await newSecret(t.baseUrl, { expire_value: 2 }, team.pat);
        const another = await newSecret(t.baseUrl, {}, team.pat);
        await api().delete(`/api/v1/secrets/${another.id}`).set(bearer(team.pat)).expect(204);
        await reveal(t.baseUrl, viewed.token).expect(200);
        expect(await eventually(() => moved.received.length === 2, 5)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(moved.received.map((hook) => [hook.json.type, hook.json.data.secret_id])).toEqual([
          ['secret.deleted', deleted.id],
          ['secret.viewed', viewed.id],
        ]);
        expect(busy.received).toHaveLength(1);

        // Nothing given changes nothing, and is not an event.
        expect((await api().patch(path).set(bearer(team.pat)).send({}).expect(200)).body.data).toEqual(narrowed.body.data);
        const audit = await api().get('/api/v1/team/audit-events?type=webhook.updated').set(bearer(team.pat)).expect(200);
        expect(audit.body.data.map((event: { target_id: string }) => event.target_id)).toEqual([endpoint.id, endpoint.id]);
      } finally {
        await Promise.all([busy.close(), moved.close()]);
      }
    });

    it('send a delivery retried by hand after a PATCH to the endpoint’s new URL, and a secret’s own to the secret’s URL', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const broken = await startWebhookReceiver((res) => res.writeHead(500).end());
      const fixed = await startWebhookReceiver();
      try {
        const endpoint = (await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: broken.url }).expect(201)).body.data;
        const ownUrl = `http://127.0.0.1:${broken.port}/own`;
        const secret = await newSecret(t.baseUrl, { webhook_url: ownUrl }, team.pat);
        await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(team.pat)).expect(204);
        type Delivery = { id: string; endpoint_id: string | null; url: string; status: string; attempts: number };
        const log = async (): Promise<Delivery[]> =>
          (await api().get('/api/v1/team/webhook-deliveries').set(bearer(team.pat)).expect(200)).body.data;
        // The schedule (0.2 s, 0.2 s) runs out: three attempts each, all answered 500.
        expect(await eventually(async () => (await log()).filter((d) => d.status === 'failed').length === 2, 10)).toBe(true);
        expect(broken.received).toHaveLength(6);

        await api().patch(`/api/v1/team/webhooks/${endpoint.id}`).set(bearer(team.pat)).send({ url: fixed.url }).expect(200);
        const toEndpoint = (await log()).find((d) => d.endpoint_id === endpoint.id)!;
        const own = (await log()).find((d) => d.endpoint_id === null)!;
        await api().post(`/api/v1/webhook-deliveries/${toEndpoint.id}/retry`).set(bearer(team.pat)).expect(202);
        await api().post(`/api/v1/webhook-deliveries/${own.id}/retry`).set(bearer(team.pat)).expect(202);
        expect(await eventually(async () => (await log()).every((d) => d.status !== 'pending' && d.attempts === 4), 5)).toBe(true);
        expect(fixed.received.map((hook) => [hook.path, hook.json.type, hook.json.data.secret_id])).toEqual([
          ['/hook', 'secret.deleted', secret.id],
        ]);
        expect(broken.received.slice(6).map((hook) => hook.path)).toEqual(['/own']);
        const after = await log();
        expect(after.find((d) => d.id === toEndpoint.id)).toMatchObject({ status: 'delivered', url: fixed.url, attempts: 4 });
        expect(after.find((d) => d.id === own.id)).toMatchObject({ status: 'failed', url: ownUrl, attempts: 4 });
      } finally {
        await Promise.all([broken.close(), fixed.close()]);
      }
    });

    (databaseMode() === 'postgresql' ? it : it.skip)(
      'refuse a hand retry that waited on its endpoint’s deletion, 409 endpoint_deleted, sending nothing',
      async () => {
        const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
        const broken = await startWebhookReceiver((res) => res.writeHead(500).end());
        const holder = new Client({ connectionString: t.db.url });
        const watcher = new Client({ connectionString: t.db.url });
        await Promise.all([holder.connect(), watcher.connect()]);
        try {
          const endpoint = (await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: broken.url }).expect(201)).body
            .data;
          const secret = await newSecret(t.baseUrl, {}, team.pat);
          await api().delete(`/api/v1/secrets/${secret.id}`).set(bearer(team.pat)).expect(204);
          type Delivery = { id: string; status: string };
          const log = async (): Promise<Delivery[]> =>
            (await api().get('/api/v1/team/webhook-deliveries').set(bearer(team.pat)).expect(200)).body.data;
          expect(await eventually(async () => (await log()).some((d) => d.status === 'failed'), 10)).toBe(true);
          const [failed] = await log();
          const sent = broken.received.length;

          // The deletion has removed the endpoint's row, uncommitted, and waits to write its audit event.
          await holder.query('BEGIN');
          await holder.query('LOCK TABLE audit_events IN SHARE MODE');
          const deletion = api().delete(`/api/v1/team/webhooks/${endpoint.id}`).set(bearer(team.pat));
          const deleted = deletion.then((res) => res.status);
          expect(await waitingOnLocks(watcher, 1)).toBe(true);
          const retried = api().post(`/api/v1/webhook-deliveries/${failed.id}/retry`).set(bearer(team.pat));
          const retry = retried.then((res) => [res.status, res.body.code]);
          expect(await waitingOnLocks(watcher, 2)).toBe(true);
          await holder.query('COMMIT');

          expect(await deleted).toBe(204);
          expect(await retry).toEqual([409, 'endpoint_deleted']);
          await new Promise((resolve) => setTimeout(resolve, 600));
          expect((await log()).find((d) => d.id === failed.id)).toMatchObject({ status: 'failed' });
          expect(broken.received).toHaveLength(sent);
        } finally {
          await holder.query('ROLLBACK').catch(() => undefined);
          await Promise.all([holder.end(), watcher.end(), broken.close()]);
        }
      },
    );

    it('record nothing for a PATCH that gives what the endpoint has: its URL however spelt, its events in any order', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const url = `${receiver.url}/same`;
      const created = await api()
        .post('/api/v1/team/webhooks')
        .set(bearer(team.pat))
        .send({ url, events: ['secret.viewed', 'secret.deleted'] })
        .expect(201);
      const endpoint = created.body.data;
      const path = `/api/v1/team/webhooks/${endpoint.id}`;
      const updates = async () =>
        (await api().get('/api/v1/team/audit-events?type=webhook.updated').set(bearer(team.pat)).expect(200)).body.meta.total;
      for (const body of [
        { url },
        { url: url.replace('http://', 'HTTP://') },
        { events: ['secret.deleted', 'secret.viewed'] },
        { url, events: endpoint.events },
      ]) {
        const res = await api().patch(path).set(bearer(team.pat)).send(body).expect(200);
        expect(await updates()).toBe(0);
        expect(res.body.data).toEqual(endpoint);
      }
      await api()
        .patch(path)
        .set(bearer(team.pat))
        .send({ url, events: ['secret.viewed'] })
        .expect(200);
      expect(await updates()).toBe(1);
    });

    it('refuse a PATCH that is not the team admin’s to make, or not valid, changing nothing', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const url = `${receiver.url}/first`;
      const endpoint = (await api().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url }).expect(201)).body.data;
      await api()
        .post('/api/v1/team/webhooks')
        .set(bearer(team.pat))
        .send({ url: `${receiver.url}/second` })
        .expect(201);
      const path = `/api/v1/team/webhooks/${endpoint.id}`;
      for (const [body, field] of [
        [{ url: null }, 'url'],
        [{ url: 'ftp://example.com/x' }, 'url'],
        [{ url: `${receiver.url}/second` }, 'url'],
        [{ url: `${receiver.url}/second#x` }, 'url'],
        [{ events: [] }, 'events'],
        [{ events: null }, 'events'],
        [{ events: ['secret.read'] }, 'events'],
      ] as const) {
        const res = await api().patch(path).set(bearer(team.pat)).send(body).expect(422);
        expect(Object.keys(res.body.errors)).toEqual([field]);
      }
      // Its own URL, however it is spelt, is no duplicate.
      await api()
        .patch(path)
        .set(bearer(team.pat))
        .send({ url: url.replace('http://', 'HTTP://') })
        .expect(200);

      const { pat: memberPat } = await newMember(t.baseUrl, team.pat, team.owner.teamId, 'member');
      await api()
        .patch(path)
        .set(bearer(memberPat))
        .send({ events: ['secret.viewed'] })
        .expect(403);
      await api()
        .patch(path)
        .set(bearer(pat))
        .send({ events: ['secret.viewed'] })
        .expect(404);
      await api().patch('/api/v1/team/webhooks/00000000-0000-4000-8000-000000000000').set(bearer(team.pat)).send({}).expect(404);
      await setPlan(t.dataSource, team.owner.teamId, 'free');
      const free = await api()
        .patch(path)
        .set(bearer(team.pat))
        .send({ events: ['secret.viewed'] })
        .expect(403);
      expect(free.body).toMatchObject({ code: 'plan_limit' });

      const list = await api().get('/api/v1/team/webhooks').set(bearer(team.pat)).expect(200);
      // Stored as it was: the one spelling of its URL.
      expect(list.body.data[0]).toEqual(endpoint);
    });

    it('answer 404 for another team’s endpoint whatever the caller’s plan, and plan_limit only for the caller’s own', async () => {
      const other = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const theirs = (
        await api()
          .post('/api/v1/team/webhooks')
          .set(bearer(other.pat))
          .send({ url: `${receiver.url}/theirs` })
          .expect(201)
      ).body.data;
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const own = (
        await api()
          .post('/api/v1/team/webhooks')
          .set(bearer(team.pat))
          .send({ url: `${receiver.url}/own` })
          .expect(201)
      ).body.data;
      await setPlan(t.dataSource, team.owner.teamId, 'free');
      const change = { events: ['secret.viewed'] };
      for (const body of [change, { url: `${receiver.url}/new` }]) {
        const res = await api().patch(`/api/v1/team/webhooks/${theirs.id}`).set(bearer(team.pat)).send(body).expect(404);
        expect(res.body).toMatchObject({ message: 'Webhook endpoint not found.' });
      }
      await api().delete(`/api/v1/team/webhooks/${theirs.id}`).set(bearer(team.pat)).expect(404);
      const refused = await api().patch(`/api/v1/team/webhooks/${own.id}`).set(bearer(team.pat)).send(change).expect(403);
      expect(refused.body.code).toBe('plan_limit');
      expect((await api().get('/api/v1/team/webhooks').set(bearer(other.pat)).expect(200)).body.data).toEqual([theirs]);
    });

    it('stop at ten per team, even when asked for in parallel', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const statuses = await Promise.all(
        Array.from({ length: 14 }, (_, i) =>
          api()
            .post('/api/v1/team/webhooks')
            .set(bearer(team.pat))
            .send({ url: `${receiver.url}/${i}` })
            .then((res) => res.status),
        ),
      );
      expect(statuses.filter((status) => status === 201)).toHaveLength(10);
      expect(statuses.filter((status) => status === 422)).toHaveLength(4);
      const eleventh = await api()
        .post('/api/v1/team/webhooks')
        .set(bearer(team.pat))
        .send({ url: `${receiver.url}/x` })
        .expect(422);
      expect(eleventh.body).toEqual({
        message: 'The given data was invalid.',
        errors: { url: ['A team may have at most 10 webhook endpoints.'] },
        code: 'webhook_endpoint_limit',
      });
    });
  });

  describe('an admin demoted after the guard read their role, on a Free team', () => {
    // The guard reads the role as the request comes in; each route reads it again in its
    // transaction. The services are called with what the guard read before the demotion.
    it('is refused for the role on PATCH /team/webhooks/{id} and on a retry alike: permission, then existence, then plan', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const endpoint = (
        await api()
          .post('/api/v1/team/webhooks')
          .set(bearer(team.pat))
          .send({ url: `${receiver.url}/demoted` })
          .expect(201)
      ).body.data as { id: string };
      const secret = await newSecret(t.baseUrl, {}, team.pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      const deliveries = async () =>
        (await api().get(`/api/v1/secrets/${secret.id}/webhook-deliveries`).set(bearer(team.pat)).expect(200)).body.data as {
          id: string;
        }[];
      expect(await eventually(async () => (await deliveries()).length > 0, 10)).toBe(true);
      const [delivery] = await deliveries();
      const admin = await newMember(t.baseUrl, team.pat, team.owner.teamId, 'admin');
      await setPlan(t.dataSource, team.owner.teamId, 'free');
      const guarded = (await t.app.get(TokenAuthenticator).authenticate(admin.pat))!;
      expect({ role: guarded.role, plan: guarded.teamPlan }).toEqual({ role: 'admin', plan: 'free' });
      await api().patch(`/api/v1/team/members/${admin.user.id}`).set(bearer(team.pat)).send({ role: 'member' }).expect(200);

      const client: ClientInfo = { ip: '127.0.0.1', country: null, gone: () => false, socket: new Socket(), requestId: 'demoted' };
      const refusal = (work: Promise<unknown>) =>
        work.then(
          () => 'answered',
          (error: ApiError) => ({ status: error.status, message: error.message, ...error.extra }),
        );
      const forRole = { status: 403, message: 'Only owners and admins of the team may do this.' };
      const update = (id: string) => t.app.get(WebhookEndpointsService).update(guarded, id, { events: ['secret.viewed'] }, client);
      const retry = (id: string) => t.app.get(WebhookDeliveriesService).retry(guarded, id, client);
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect({
        update: await refusal(update(endpoint.id)),
        retry: await refusal(retry(delivery.id)),
        updateUnknown: await refusal(update(unknown)),
        retryUnknown: await refusal(retry(unknown)),
      }).toEqual({ update: forRole, retry: forRole, updateUnknown: forRole, retryUnknown: forRole });

      // An admin of the Free team: another id is a 404 before the plan is asked, their own a plan_limit.
      await api()
        .patch(`/api/v1/team/webhooks/${unknown}`)
        .set(bearer(team.pat))
        .send({ events: ['secret.viewed'] })
        .expect(404);
      await api().post(`/api/v1/webhook-deliveries/${unknown}/retry`).set(bearer(team.pat)).expect(404);
      const plan = [
        await api()
          .patch(`/api/v1/team/webhooks/${endpoint.id}`)
          .set(bearer(team.pat))
          .send({ events: ['secret.viewed'] })
          .expect(403),
        await api().post(`/api/v1/webhook-deliveries/${delivery.id}/retry`).set(bearer(team.pat)).expect(403),
      ];
      expect(plan.map((res) => res.body.code)).toEqual(['plan_limit', 'plan_limit']);
    });
  });

  describe('the delivery log', () => {
    it('keeps finished deliveries for 30 days, and pending ones however old', async () => {
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      await waitFor(secret.id, 1);
      expect(await eventually(async () => (await deliveriesOf(secret.id))[0].status === 'delivered', 5)).toBe(true);
      await t.dataSource.query(`UPDATE webhook_deliveries SET created_at = now() - interval '31 days' WHERE secret_id = $1`, [secret.id]);
      const [pending] = await t.dataSource.query(
        `INSERT INTO webhook_deliveries (id, event_id, team_id, secret_id, type, url, data, next_attempt_at, created_at)
         VALUES (gen_random_uuid(), 'evt_old', $1, $2, 'secret.viewed', $3, '{}', now() + interval '1 day', now() - interval '40 days') RETURNING id`,
        [owner.teamId, secret.id, receiver.url],
      );
      expect(await t.app.get(WebhookDispatcher).pruneLog()).toBeGreaterThanOrEqual(1);
      expect((await deliveriesOf(secret.id)).map((delivery: { id: string }) => delivery.id)).toEqual([pending.id]);
    });

    it('records an accepted retry as webhook_delivery.retried, by the admin from their address, and a refused one not at all', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const endpoint = await api()
        .post('/api/v1/team/webhooks')
        .set(bearer(team.pat))
        .send({ url: `${receiver.url}/retried` })
        .expect(201);
      const deleted = await newSecret(t.baseUrl, {}, team.pat);
      await api().delete(`/api/v1/secrets/${deleted.id}`).set(bearer(team.pat)).expect(204);
      const [delivery] = await deliveriesOf(deleted.id, team.pat);
      // Once its first attempt has ended: while it is under way a retry is a 409 delivery_in_flight.
      expect(await eventually(async () => (await deliveriesOf(deleted.id, team.pat))[0].history.length === 1, 5)).toBe(true);
      const retries = async (token: string) =>
        (await api().get('/api/v1/team/audit-events?type=webhook_delivery.retried').set(bearer(token)).expect(200)).body.data;
      const retry = (id: string, token = team.pat) => api().post(`/api/v1/webhook-deliveries/${id}/retry`).set(bearer(token));

      await retry(delivery.id).expect(202);
      const recorded = await retries(team.pat);
      expect(recorded).toEqual([
        expect.objectContaining({
          actor: { type: 'user', id: team.owner.id, name: team.owner.name },
          target_id: delivery.id,
          ip: '127.0.0.1',
          country: null,
        }),
      ]);

      const other = await newTeamOn('pro', t.baseUrl, t.dataSource);
      await retry(delivery.id, other.pat).expect(404);
      await retry('00000000-0000-4000-8000-000000000000').expect(404);
      await api().delete(`/api/v1/team/webhooks/${endpoint.body.data.id}`).set(bearer(team.pat)).expect(204);
      await retry(delivery.id).expect(409);
      expect(await retries(team.pat)).toEqual(recorded);
      expect(await retries(other.pat)).toEqual([]);
    });

    it('answers 404 for another team’s secret and another team’s delivery', async () => {
      const secret = await newSecret(t.baseUrl, { webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      await waitFor(secret.id, 1);
      const [delivery] = await deliveriesOf(secret.id);
      // On Pro or not: the id is not theirs before their plan is looked at.
      for (const other of [await newTeam(t.baseUrl), await newTeamOn('pro', t.baseUrl, t.dataSource)]) {
        await api().get(`/api/v1/secrets/${secret.id}/webhook-deliveries`).set(bearer(other.pat)).expect(404);
        await api().post(`/api/v1/webhook-deliveries/${delivery.id}/retry`).set(bearer(other.pat)).expect(404);
        expect((await api().get('/api/v1/team/webhook-deliveries').set(bearer(other.pat)).expect(200)).body.data).toEqual([]);
      }
      await api().post('/api/v1/webhook-deliveries/not-a-uuid/retry').set(bearer(pat)).expect(404);
    });
  });

  describe('the signing secret', () => {
    it('is readable by admins, in the Standard Webhooks format, and not by members', async () => {
      const first = await api().get('/api/v1/team/webhook-secret').set(bearer(pat)).expect(200);
      expect(first.body.data).toEqual({
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
        rotated_at: expect.any(String),
        previous_expires_at: null,
      });
      expect(() => new Webhook(first.body.data.secret)).not.toThrow();
      const { pat: memberPat } = await newMember(t.baseUrl, pat, owner.teamId, 'member');
      await api().get('/api/v1/team/webhook-secret').set(bearer(memberPat)).expect(403);
    });

    it('refuses a field sent to rotate or retry, changing nothing, and takes {} or no body', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secretNow = async () => (await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(200)).body.data.secret;
      const before = await secretNow();
      const refused = await api().post('/api/v1/team/webhook-secret/rotate').set(bearer(team.pat)).send({ grace_hours: 0 }).expect(422);
      expect(refused.body).toEqual({
        message: 'The given data was invalid.',
        errors: { grace_hours: ['The grace hours field is not allowed.'] },
      });
      expect(await secretNow()).toBe(before);
      await api().post('/api/v1/team/webhook-secret/rotate').set(bearer(team.pat)).send({}).expect(200);
      await api().post('/api/v1/team/webhook-secret/rotate').set(bearer(team.pat)).expect(200);

      const secret = await newSecret(t.baseUrl, { webhook_url: receiver.url }, team.pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      await waitFor(secret.id, 1);
      const deliveryNow = async () =>
        (await api().get(`/api/v1/secrets/${secret.id}/webhook-deliveries`).set(bearer(team.pat)).expect(200)).body.data[0];
      expect(await eventually(async () => (await deliveryNow()).status === 'delivered', 10)).toBe(true);
      const delivered = await deliveryNow();
      const retry = (body?: object) => {
        const call = api().post(`/api/v1/webhook-deliveries/${delivered.id}/retry`).set(bearer(team.pat));
        return body ? call.send(body) : call;
      };
      expect((await retry({ now: true }).expect(422)).body.errors).toEqual({ now: ['The now field is not allowed.'] });
      // A retry would have made it pending again before answering.
      expect(await deliveryNow()).toEqual(delivered);
      await retry({}).expect(202);
      await waitFor(secret.id, 2);
      // Once that attempt has ended: while it is under way a retry is a 409 delivery_in_flight.
      expect(await eventually(async () => (await deliveryNow()).history.length === 2, 5)).toBe(true);
      await retry().expect(202);
      await waitFor(secret.id, 3);
    });

    it('sealed under a key this instance lacks (mid-rollout): the secret is a 503 key_unavailable, and its deliveries wait for an instance with the key, spending no attempt', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, team.pat);
      await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(200);
      const [{ key_id: keyId }] = await t.dataSource.query('SELECT key_id FROM team_webhook_secrets WHERE team_id = $1', [
        team.owner.teamId,
      ]);
      const sealWith = (key: string) =>
        t.dataSource.query('UPDATE team_webhook_secrets SET key_id = $2 WHERE team_id = $1', [team.owner.teamId, key]);
      await sealWith('0123456789abcdef');
      try {
        const refused = await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(503);
        expect(refused.body).toEqual({ message: 'This server cannot open the signing secret now.', code: 'key_unavailable' });
        expect(refused.headers['retry-after']).toBe('5');
        await reveal(t.baseUrl, secret.token).expect(200);
        // Ten polls of this instance.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const [waiting] = await deliveriesOf(secret.id, team.pat);
        expect(waiting).toMatchObject({ status: 'pending', attempts: 0, last_error: null });
        expect(receivedFor(secret.id)).toEqual([]);
      } finally {
        await sealWith(keyId);
      }
      await waitFor(secret.id, 1);
      expect(await eventually(async () => (await deliveriesOf(secret.id, team.pat))[0].status === 'delivered', 5)).toBe(true);
      expect((await deliveriesOf(secret.id, team.pat))[0].attempts).toBe(1);
    });

    it('damaged (a byte flipped): the secret is a 500 decryption_failed, its deliveries wait spending no attempt, and a rotation replaces it without keeping it', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, team.pat);
      await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(200);
      await t.dataSource.query(
        'UPDATE team_webhook_secrets SET ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) WHERE team_id = $1',
        [team.owner.teamId],
      );
      const refused = await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(500);
      expect(refused.body).toEqual({ message: 'The signing secret could not be decrypted: rotate it.', code: 'decryption_failed' });
      await reveal(t.baseUrl, secret.token).expect(200);
      // Ten polls of this instance.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const [waiting] = await deliveriesOf(secret.id, team.pat);
      expect(waiting).toMatchObject({ status: 'pending', attempts: 0, last_error: null });
      expect(receivedFor(secret.id)).toEqual([]);

      const rotated = await api().post('/api/v1/team/webhook-secret/rotate').set(bearer(team.pat)).expect(200);
      expect(rotated.body.data.previous_expires_at).toBeNull();
      const [hook] = await waitFor(secret.id, 1);
      expect(String(hook.headers['oncelink-signature']).match(/v1=/g)).toHaveLength(1);
      expect(standardSignatureValid(hook, rotated.body.data.secret)).toBe(true);
      expect(await eventually(async () => (await deliveriesOf(secret.id, team.pat))[0].status === 'delivered', 5)).toBe(true);
      expect((await deliveriesOf(secret.id, team.pat))[0].attempts).toBe(1);
    });

    it('rotates together with its audit event or not at all', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secretNow = async () => (await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(200)).body.data;
      const before = await secretNow();
      // The audit trail refuses this team's rotation event, as a full disk or a lost connection would.
      await t.dataSource.query(`
        CREATE FUNCTION refuse_rotation_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.type = 'webhook_secret.rotated' AND NEW.team_id = '${team.owner.teamId}' THEN RAISE EXCEPTION 'audit refused'; END IF;
          RETURN NEW;
        END $$`);
      await t.dataSource.query(
        'CREATE TRIGGER refuse_rotation_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_rotation_audit()',
      );
      try {
        await api().post('/api/v1/team/webhook-secret/rotate').set(bearer(team.pat)).expect(500);
      } finally {
        await t.dataSource.query('DROP TRIGGER refuse_rotation_audit ON audit_events');
        await t.dataSource.query('DROP FUNCTION refuse_rotation_audit()');
      }
      expect(await secretNow()).toEqual(before);
      const rotated = await api().post('/api/v1/team/webhook-secret/rotate').set(bearer(team.pat)).expect(200);
      expect(rotated.body.data.secret).not.toBe(before.secret);
      const events = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1 AND type = 'webhook_secret.rotated'`,
        [team.owner.teamId],
      );
      expect(events).toEqual([{ n: 1 }]);
    });

    it('signs with both the new and the old secret for a day after a rotation, then with the new one only', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const old = (await api().get('/api/v1/team/webhook-secret').set(bearer(team.pat)).expect(200)).body.data.secret;
      const rotated = await api().post('/api/v1/team/webhook-secret/rotate').set(bearer(team.pat)).expect(200);
      const fresh = rotated.body.data.secret;
      expect(fresh).not.toBe(old);
      const grace = Date.parse(rotated.body.data.previous_expires_at) - Date.parse(rotated.body.data.rotated_at);
      expect(grace).toBe(24 * 3600 * 1000);

      const first = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, team.pat);
      await reveal(t.baseUrl, first.token).expect(200);
      const [hook] = await waitFor(first.id, 1);
      expect(String(hook.headers['oncelink-signature']).match(/v1=/g)).toHaveLength(2);
      expect(String(hook.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const key of [old, fresh]) {
        expect(oncelinkSignatureValid(hook, key)).toBe(true);
        expect(standardSignatureValid(hook, key)).toBe(true);
      }

      // A day later.
      await t.dataSource.query(`UPDATE team_webhook_secrets SET previous_expires_at = now() - interval '1 second' WHERE team_id = $1`, [
        team.owner.teamId,
      ]);
      const second = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, team.pat);
      await reveal(t.baseUrl, second.token).expect(200);
      const [later] = await waitFor(second.id, 1);
      expect(oncelinkSignatureValid(later, fresh)).toBe(true);
      expect(standardSignatureValid(later, fresh)).toBe(true);
      expect(oncelinkSignatureValid(later, old)).toBe(false);
      expect(standardSignatureValid(later, old)).toBe(false);
      const audit = await api().get('/api/v1/team/audit-events').set(bearer(team.pat)).expect(200);
      expect(audit.body.data.map((event: { type: string }) => event.type)).toContain('webhook_secret.rotated');
    });

    it('is kept sealed: the database holds no signing secret in clear', async () => {
      const secret = await webhookSecret();
      const [sealed] = await t.dataSource.query('SELECT ciphertext FROM team_webhook_secrets WHERE team_id = $1', [owner.teamId]);
      expect(sealed.ciphertext.length).toBeGreaterThan(secret.length);
      const dump = await dumpDatabase(t.db);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice('whsec_'.length));
      expect(dump).not.toContain(Buffer.from(secret).toString('hex'));
    });
  });
});

describe('one team’s receivers that never answer', () => {
  // Each holds its place for WEBHOOK_TIMEOUT_MS, as long as a spec may run (60 s): none is given
  // back and sent again however slowly a busy machine gets through a spec's events, and a delivery
  // seen within 10 s waited behind none.
  const t = useTestApp({
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '60000', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_RETRY_DELAYS: '60' },
  });

  it('hold at most 4 of an instance’s 16 places: another team’s delivery goes out at once', async () => {
    const held: ServerResponse[] = [];
    // Three destinations, each allowed two places, so the team's share of four is what binds.
    const hanging = await Promise.all([0, 1, 2].map(() => startWebhookReceiver((res) => held.push(res))));
    const prompt = await startWebhookReceiver();
    const heldCount = () => hanging.reduce((sum, receiver) => sum + receiver.received.length, 0);
    try {
      const noisy = await newTeamOn('pro', t.baseUrl, t.dataSource);
      for (const receiver of hanging) {
        await t.http().post('/api/v1/team/webhooks').set(bearer(noisy.pat)).send({ url: receiver.url }).expect(201);
      }
      for (let i = 0; i < 20; i++) {
        const secret = await newSecret(t.baseUrl, {}, noisy.pat);
        await t.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(noisy.pat)).expect(204);
      }
      expect(await eventually(() => heldCount() >= 4, 5)).toBe(true);
      // Polls come and go; the team's other 56 deliveries wait for one of its four places.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(heldCount()).toBe(4);

      const other = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secret = await newSecret(t.baseUrl, { webhook_url: prompt.url }, other.pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(() => prompt.received.length >= 1, 10)).toBe(true);
    } finally {
      for (const res of held) res.destroy();
      await Promise.all([...hanging, prompt].map((receiver) => receiver.close()));
    }
  });

  it('hold at most 2 of their team’s places each: the team’s other receivers still get every event', async () => {
    const held: ServerResponse[] = [];
    const hanging = await startWebhookReceiver((res) => held.push(res));
    const prompt = await startWebhookReceiver();
    try {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      for (const receiver of [hanging, prompt]) {
        await t.http().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: receiver.url }).expect(201);
      }
      for (let i = 0; i < 10; i++) {
        const secret = await newSecret(t.baseUrl, {}, team.pat);
        await t.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(team.pat)).expect(204);
      }
      expect(await eventually(() => prompt.received.length >= 10, 5)).toBe(true);
      expect(hanging.received).toHaveLength(2);
    } finally {
      for (const res of held) res.destroy();
      await Promise.all([hanging.close(), prompt.close()]);
    }
  });

  it('hold at most 2 of their team’s places however their URL is spelt: the team’s endpoint on another port still gets every event', async () => {
    const held: ServerResponse[] = [];
    const hanging = await startWebhookReceiver((res) => held.push(res));
    const prompt = await startWebhookReceiver();
    const port = hanging.port;
    try {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      await t.http().post('/api/v1/team/webhooks').set(bearer(team.pat)).send({ url: prompt.url }).expect(201);
      const spellings = [
        `http://127.0.0.1:${port}/a`,
        `http://127.0.0.1.:${port}/b`,
        `http://127.1:${port}/c`,
        `http://127.0.0.1..:${port}/d`,
      ];
      const secrets = [];
      for (const url of spellings) secrets.push(await newSecret(t.baseUrl, { expire_value: 5, webhook_url: url }, team.pat));
      for (let view = 0; view < 5; view++) for (const secret of secrets) await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(() => hanging.received.length >= 2, 5)).toBe(true);
      // Polls come and go; the receiver's other deliveries wait for one of its two places.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(hanging.received).toHaveLength(2);
      expect(await eventually(() => prompt.received.length >= 20, 10)).toBe(true);
      // Each is stored as the one spelling of its receiver, which is what the dispatcher counts by.
      expect(secrets.map((secret) => secret.webhook_url)).toEqual(['a', 'b', 'c', 'd'].map((path) => `http://127.0.0.1:${port}/${path}`));
    } finally {
      for (const res of held) res.destroy();
      await Promise.all([hanging.close(), prompt.close()]);
    }
  });

  it('hold only their own team’s places on a host: another team’s delivery to the same host goes out at once', async () => {
    const held: ServerResponse[] = [];
    // One host, as hooks.slack.com is to many teams: this team's receiver there never answers.
    const shared = await startWebhookReceiver((res) => held.push(res));
    try {
      const slow = await newTeamOn('pro', t.baseUrl, t.dataSource);
      await t.http().post('/api/v1/team/webhooks').set(bearer(slow.pat)).send({ url: shared.url }).expect(201);
      for (let i = 0; i < 5; i++) {
        const secret = await newSecret(t.baseUrl, {}, slow.pat);
        await t.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(slow.pat)).expect(204);
      }
      expect(await eventually(() => shared.received.length >= 2, 5)).toBe(true);

      const other = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secret = await newSecret(t.baseUrl, { webhook_url: shared.url }, other.pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(() => shared.received.some((hook) => hook.json.data.secret_id === secret.id), 10)).toBe(true);
    } finally {
      for (const res of held) res.destroy();
      await shared.close();
    }
  });

  it('of four teams cannot hold all 16 places: a fifth team’s delivery goes out at once', async () => {
    const held: ServerResponse[] = [];
    // Two receivers a team, each allowed two places: each team's share of four is what binds.
    const hanging = await Promise.all([...Array(8).keys()].map(() => startWebhookReceiver((res) => held.push(res))));
    const prompt = await startWebhookReceiver();
    const heldCount = () => hanging.reduce((sum, receiver) => sum + receiver.received.length, 0);
    try {
      for (let team = 0; team < 4; team++) {
        const slow = await newTeamOn('pro', t.baseUrl, t.dataSource);
        for (const receiver of hanging.slice(team * 2, team * 2 + 2)) {
          await t.http().post('/api/v1/team/webhooks').set(bearer(slow.pat)).send({ url: receiver.url }).expect(201);
        }
        for (let i = 0; i < 5; i++) {
          const secret = await newSecret(t.baseUrl, {}, slow.pat);
          await t.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(slow.pat)).expect(204);
        }
      }
      expect(await eventually(() => heldCount() >= 12, 5)).toBe(true);
      // Polls come and go; the places left are kept for a team with nothing under way.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(heldCount()).toBeLessThan(16);

      const other = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secret = await newSecret(t.baseUrl, { webhook_url: prompt.url }, other.pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(() => prompt.received.length >= 1, 10)).toBe(true);
    } finally {
      for (const res of held) res.destroy();
      await Promise.all([...hanging, prompt].map((receiver) => receiver.close()));
    }
  });
});

const withOwnNameserver = canChooseNameserver() ? describe : describe.skip;

/** A server whose nameserver drops the queries for some names, as any domain's owner can make it do. */
withOwnNameserver('webhook deliveries while another team’s names never resolve', () => {
  let db: TestDatabase;
  let nameserver: DnsServer;
  let server: ServerProcess;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    db = await createTestDatabase();
    nameserver = await startDnsServer({}, (name) => name.endsWith('.silent.test'));
    receiver = await startWebhookReceiver();
    const env = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_RETRY_DELAYS: '600' };
    server = await startServerProcess(serverEnvOn(db, env), { nameserver: nameserver.address });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    nameserver?.close();
    await db?.drop();
  });

  const proTeam = () => newTeamAt('pro', server.baseUrl, db.url);
  const deliveriesOf = async (pat: string) =>
    (await supertest(server.baseUrl).get('/api/v1/team/webhook-deliveries').set(bearer(pat)).expect(200)).body.data;

  it('go out to other teams while that team’s lookups hang, and fail those as DNS not answering', async () => {
    const [victim, attacker] = [await proTeam(), await proTeam()];
    // A name, not an address, so its connection needs a lookup too (getaddrinfo's would wait for a thread).
    const watched = await newSecret(server.baseUrl, { webhook_url: `http://localhost:${receiver.port}/hook` }, victim);
    for (let i = 0; i < 4; i++) {
      const secret = await newSecret(server.baseUrl, { webhook_url: `http://a${i}.silent.test/hook` }, attacker);
      await reveal(server.baseUrl, secret.token).expect(200);
    }
    // Their lookups are under way: the nameserver has had queries (an A and an AAAA a lookup) for a few.
    expect(await eventually(() => nameserver.asked.filter((name) => name.endsWith('.silent.test')).length >= 4, 10)).toBe(true);

    await reveal(server.baseUrl, watched.token).expect(200);
    expect(await eventually(() => receiver.received.length >= 1, 10)).toBe(true);
    // Delivered while the attacker's lookups were still unanswered: none of its attempts has ended.
    const inFlight = await deliveriesOf(attacker);
    expect(inFlight).toHaveLength(8);
    expect(inFlight.filter((delivery: { attempts: number }) => delivery.attempts === 1)).toHaveLength(4);
    expect(inFlight.flatMap((delivery: { history: unknown[] }) => delivery.history)).toEqual([]);

    const ended = async () => (await deliveriesOf(attacker)).filter((delivery: { last_error: string | null }) => delivery.last_error);
    expect(await eventually(async () => (await ended()).length >= 4, 10)).toBe(true);
    for (const delivery of await ended()) {
      expect(delivery).toMatchObject({ status: 'pending', last_status_code: null });
      expect(delivery.last_error).toMatch(/^DNS did not answer for a\d\.silent\.test within 3000 ms$/);
    }
  }, 60_000);
});
