import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { Pool } from 'pg';
import Stripe from 'stripe';
import supertest from 'supertest';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { Keyring } from '../src/crypto/keyring';
import { SecretPurger } from '../src/secrets/secret-purger';
import { bearer, newTeam, newToken, TestUser } from './support/factories';
import { uploadFile } from './support/multipart';
import { reveal } from './support/secrets';
import { newMember, newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

const STRIPE_SECRET = 'whsec_test_oncelink_idempotency';
const PRICE_PRO = 'price_pro_monthly';
const stripe = new Stripe('sk_unused_in_tests');

/**
 * POST /secrets takes an Idempotency-Key as Stripe's API does: a retry within 24 hours gets the
 * first create's answer, link included, and makes nothing; the key is the caller's own.
 */
describe('creates under an Idempotency-Key', () => {
  const t = useTestApp({ env: { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, STRIPE_PRICE_PRO: PRICE_PRO } });
  let pat: string;
  let teamId: string;

  beforeAll(async () => {
    const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
    pat = team.pat;
    teamId = team.owner.teamId;
  });

  const text = { content: 'the deploy key', expire_mode: 'views', expire_value: 2 };

  function create(body: object, key: string | undefined, token: string | null = pat, path = '/api/v1/secrets') {
    const request = supertest(t.baseUrl).post(path);
    if (token) request.set(bearer(token));
    if (key !== undefined) request.set('Idempotency-Key', key);
    return request.send(body);
  }

  async function made(): Promise<{ secrets: number; events: number; counted: number }> {
    const [row] = await t.dataSource.query(
      `SELECT (SELECT count(*)::int FROM secrets WHERE team_id = $1) AS secrets,
              (SELECT count(*)::int FROM audit_events WHERE team_id = $1 AND type = 'secret.created') AS events,
              (SELECT coalesce(sum(created), 0)::int FROM team_secret_counts WHERE team_id = $1) AS counted`,
      [teamId],
    );
    return row;
  }

  it.each([
    ['answered ahead of Fastify', '/api/v1/secrets'],
    ['answered by Nest', '/api/v1/secrets?via=nest'],
  ])('a retry gets the first answer, link included, and makes nothing (%s)', async (_way, path) => {
    const key = randomUUID();
    const before = await made();
    const first = await create(text, key, pat, path).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // The same fields in another order are the same request.
    const retry = await create({ expire_value: 2, content: 'the deploy key', expire_mode: 'views' }, key, pat, path).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await made()).toEqual({ secrets: before.secrets + 1, events: before.events + 1, counted: before.counted + 1 });
    const opened = await reveal(t.baseUrl, retry.body.data.token).expect(200);
    expect(opened.body.data.content).toBe('the deploy key');
  });

  it('a retry gets the first answer as it was, not the secret as a view and a change have left it', async () => {
    const key = randomUUID();
    const first = await create({ ...text, label: 'deploy' }, key).expect(201);
    await reveal(t.baseUrl, first.body.data.token).expect(200);
    await supertest(t.baseUrl)
      .put(`/api/v1/secrets/${first.body.data.id}`)
      .set(bearer(pat))
      .send({ label: 'renamed', expire_mode: 'minutes', expire_value: 5 })
      .expect(200);
    const retry = await create({ ...text, label: 'deploy' }, key).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
  });

  it('a retry of a create with an expires_in_minutes window answers its window, after a PUT changed it; another window is another request', async () => {
    const key = randomUUID();
    const windowed = { ...text, expires_in_minutes: 30 };
    const first = await create(windowed, key).expect(201);
    await supertest(t.baseUrl).put(`/api/v1/secrets/${first.body.data.id}`).set(bearer(pat)).send({ expires_in_minutes: 5 }).expect(200);
    const retry = await create(windowed, key).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    await create({ ...text, expires_in_minutes: 31 }, key).expect(422);
  });

  it('a key recorded with its bare link (before answers were kept) still answers its retries, with the secret as it is', async () => {
    const key = randomUUID();
    const first = await create(text, key).expect(201);
    const { id, token } = first.body.data;
    const sealed = t.app.get(Keyring).encrypt(`${id} link`, Buffer.from(token));
    await t.dataSource.query('UPDATE secrets SET idempotency_link = $2, idempotency_keyring_id = $3 WHERE id = $1', [
      id,
      Buffer.concat([sealed.iv, sealed.ciphertext]),
      sealed.keyId,
    ]);
    await reveal(t.baseUrl, token).expect(200);
    const retry = await create(text, key).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.data).toMatchObject({ id, token, url: first.body.data.url, views_remaining: 1, views_count: 1 });
  });

  it('a replay keeps its database connection: the insert its key refused left it as good as before', async () => {
    const pool = (t.dataSource.driver as PostgresDriver).master as Pool;
    let dropped = 0;
    const onRemove = () => dropped++;
    const key = randomUUID();
    await create(text, key).expect(201);
    pool.on('remove', onRemove);
    try {
      for (let retry = 0; retry < 3; retry++) expect((await create(text, key).expect(201)).headers['idempotent-replayed']).toBe('true');
    } finally {
      pool.off('remove', onRemove);
    }
    expect(dropped).toBe(0);
  });

  it('keeps the link only sealed, and the request only as a keyed digest', async () => {
    const first = await create(text, randomUUID()).expect(201);
    const [row] = await t.dataSource.query('SELECT idempotency_digest, idempotency_link FROM secrets WHERE id = $1', [first.body.data.id]);
    expect(row.idempotency_digest).toHaveLength(32);
    expect(row.idempotency_link.includes(Buffer.from(first.body.data.token))).toBe(false);
    expect(row.idempotency_link.includes(Buffer.from('the deploy key'))).toBe(false);
  });

  it('retries sent at once make one secret, and all get its answer', async () => {
    const key = randomUUID();
    const before = await made();
    const answers = await Promise.all(Array.from({ length: 8 }, () => create(text, key)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((answer) => answer.body.data.token)).size).toBe(1);
    expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    expect(await made()).toEqual({ secrets: before.secrets + 1, events: before.events + 1, counted: before.counted + 1 });
  });

  it('a different request under a used key is a 422 and makes nothing', async () => {
    const key = randomUUID();
    await create(text, key).expect(201);
    const before = await made();
    for (const other of [
      { ...text, content: 'another key' },
      { ...text, expire_value: 3 },
      { ...text, label: 'deploy' },
    ]) {
      const res = await create(other, key).expect(422);
      expect(res.body).toEqual({
        message: 'The given data was invalid.',
        errors: { 'Idempotency-Key': ['This key was already used for a different request.'] },
        code: 'idempotency_key_reused',
      });
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(await made()).toEqual(before);
  });

  it('a key is its caller’s: another member, or another team, using it makes a secret of its own', async () => {
    const key = randomUUID();
    const first = await create(text, key).expect(201);
    const member = await newMember(t.baseUrl, pat, teamId, 'member');
    const theirs = await create(text, key, member.pat).expect(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.data.id).not.toBe(first.body.data.id);
    const elsewhere = await newTeamOn('free', t.baseUrl, t.dataSource);
    const other = await create(text, key, elsewhere.pat).expect(201);
    expect(other.body.data.id).not.toBe(first.body.data.id);
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['not ASCII', 'clé-42'],
    ['a control character', 'key\tkey'],
  ])('a key that is %s is a 400 and makes nothing', async (_case, key) => {
    const before = await made();
    const res = await supertest(t.baseUrl).post('/api/v1/secrets').set(bearer(pat)).set('Idempotency-Key', key).send(text);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'idempotency_key_invalid' });
    expect(await made()).toEqual(before);
  });

  it.each([
    ['ahead of Fastify', '/api/v1/secrets'],
    ['through Nest', '/api/v1/secrets?via=nest'],
  ])('two Idempotency-Key headers are a 400, not one key joined from both (%s)', async (_way, path) => {
    const before = await made();
    const body = JSON.stringify(text);
    // Written by hand: an HTTP client library would join or refuse the repeated header itself.
    const { port } = new URL(t.baseUrl);
    const raw = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${body.length}\r\nAuthorization: Bearer ${pat}\r\nIdempotency-Key: a1\r\nIdempotency-Key: a2\r\n\r\n${body}`,
        ),
      );
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    const answer = { status: Number(raw.split(' ')[1]), body: raw.slice(raw.indexOf('\r\n\r\n') + 4) };
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ message: 'Send one Idempotency-Key header, not several.', code: 'idempotency_key_invalid' });
    expect(await made()).toEqual(before);
  });

  it('a 255-character key is taken', async () => {
    const key = `${randomUUID()}${'k'.repeat(219)}`;
    const first = await create(text, key).expect(201);
    const retry = await create(text, key).expect(201);
    expect(retry.body.data.id).toBe(first.body.data.id);
  });

  it('an anonymous create with a key is a 400: there is no caller to match its retries to', async () => {
    const res = await create(text, randomUUID(), null).expect(400);
    expect(res.body).toMatchObject({ code: 'idempotency_key_invalid' });
  });

  it('once the secret has ended, its request and link are wiped, and a retry is a 410 that makes nothing', async () => {
    const key = randomUUID();
    const first = await create({ ...text, expire_value: 1 }, key).expect(201);
    await reveal(t.baseUrl, first.body.data.token).expect(200);
    const [row] = await t.dataSource.query(
      'SELECT idempotency_key, idempotency_digest, idempotency_link, ciphertext FROM secrets WHERE id = $1',
      [first.body.data.id],
    );
    expect(row).toEqual({ idempotency_key: key, idempotency_digest: null, idempotency_link: null, ciphertext: null });
    const before = await made();
    const retry = await create({ ...text, expire_value: 1 }, key).expect(410);
    expect(retry.body).toEqual({ message: 'This secret has been viewed and destroyed.', code: 'secret_burned' });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await made()).toEqual(before);
  });

  it('a deleted secret’s retry is a 410 too', async () => {
    const key = randomUUID();
    const first = await create(text, key).expect(201);
    await supertest(t.baseUrl).delete(`/api/v1/secrets/${first.body.data.id}`).set(bearer(pat)).expect(204);
    const retry = await create(text, key).expect(410);
    expect(retry.body.code).toBe('secret_deleted');
  });

  it('a key older than 24 hours is free again, and the purge clears old keys', async () => {
    const key = randomUUID();
    const first = await create(text, key).expect(201);
    await t.dataSource.query(`UPDATE secrets SET created_at = now() - interval '25 hours' WHERE id = $1`, [first.body.data.id]);
    const later = await create(text, key).expect(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.body.data.id).not.toBe(first.body.data.id);

    await t.dataSource.query(`UPDATE secrets SET created_at = now() - interval '25 hours' WHERE id = $1`, [later.body.data.id]);
    await t.app.get(SecretPurger).purge();
    const [row] = await t.dataSource.query('SELECT idempotency_key, idempotency_digest, idempotency_link FROM secrets WHERE id = $1', [
      later.body.data.id,
    ]);
    expect(row).toEqual({ idempotency_key: null, idempotency_digest: null, idempotency_link: null });
  });

  it('a create meeting its own lapsed key frees that key only: another team’s stays for the purge', async () => {
    const other = await newTeamOn('pro', t.baseUrl, t.dataSource);
    const key = randomUUID();
    const mine = await create(text, key).expect(201);
    const theirs = await create(text, randomUUID(), other.pat).expect(201);
    const ids = [mine.body.data.id, theirs.body.data.id];
    await t.dataSource.query(`UPDATE secrets SET created_at = now() - interval '25 hours' WHERE id = ANY($1)`, [ids]);
    // The key's lapsed row refuses the insert; the create frees it and tries once more.
    const later = await create(text, key).expect(201);
    expect(later.body.data.id).not.toBe(ids[0]);
    const rows = await t.dataSource.query('SELECT id, idempotency_key IS NOT NULL AS keyed FROM secrets WHERE id = ANY($1)', [ids]);
    expect(Object.fromEntries(rows.map((row: { id: string; keyed: boolean }) => [row.id, row.keyed]))).toEqual({
      [ids[0]]: false,
      [ids[1]]: true,
    });
  });

  describe('after the team’s subscription has ended', () => {
    let owner: TestUser;
    let ownerPat: string;

    /** Signs and posts a Stripe event for the team's subscription `sub`. */
    function subscriptionEvent(type: string, sub: string, status: string) {
      const payload = JSON.stringify({
        id: `evt_${randomUUID()}`,
        object: 'event',
        type,
        created: Math.floor(Date.now() / 1000),
        data: {
          object: {
            id: sub,
            object: 'subscription',
            status,
            metadata: { team_id: owner.teamId },
            items: { data: [{ price: { id: PRICE_PRO } }] },
          },
        },
      });
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET });
      return supertest(t.baseUrl)
        .post('/api/v1/billing/stripe/webhook')
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', header)
        .send(payload)
        .expect(200);
    }

    /** Runs `made` on pro, then has Stripe cancel the subscription: the team is on free after. */
    async function onProThenFree<T>(made: () => Promise<T>): Promise<T> {
      const sub = `sub_${randomUUID()}`;
      await subscriptionEvent('customer.subscription.created', sub, 'active');
      const result = await made();
      await subscriptionEvent('customer.subscription.deleted', sub, 'canceled');
      const [team] = await t.dataSource.query('SELECT plan FROM teams WHERE id = $1', [owner.teamId]);
      expect(team.plan).toBe('free');
      return result;
    }

    beforeAll(async () => {
      ({ owner, pat: ownerPat } = await newTeam(t.baseUrl));
    });

    it('a retry gets the first answer, not the plan’s refusal of content and features it no longer has', async () => {
      const key = randomUUID();
      const body = { content: 'A'.repeat(100 * 1024), expire_mode: 'views', expire_value: 1, allowed_countries: ['US'] };
      const first = await onProThenFree(() => create(body, key, ownerPat).expect(201));
      // As a new create, free refuses it.
      expect((await create(body, randomUUID(), ownerPat)).body.code).toBe('plan_limit');
      const retry = await create(body, key, ownerPat).expect(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
    });

    it('a file create’s retry gets the first answer, though free takes no files; other bytes are a 422', async () => {
      const key = randomUUID();
      const headers = { 'idempotency-key': key };
      const fields = { expire_mode: 'views', expire_value: '1' };
      const file = (data: string) => ({ name: 'id_ed25519', type: 'text/plain', data: Buffer.from(data) });
      const first = await onProThenFree(() => uploadFile(t.baseUrl, ownerPat, fields, file('-----BEGIN KEY-----'), { headers }));
      expect(first.status).toBe(201);
      expect((await uploadFile(t.baseUrl, ownerPat, fields, file('-----BEGIN KEY-----'))).body.code).toBe('plan_limit');
      const retry = await uploadFile(t.baseUrl, ownerPat, fields, file('-----BEGIN KEY-----'), { headers });
      expect([retry.status, retry.headers['idempotent-replayed']]).toEqual([201, 'true']);
      expect(retry.body).toEqual(first.body);
      for (const other of ['-----BEGIN KEY-----!', '-----BEGIN KEY----=']) {
        const refused = await uploadFile(t.baseUrl, ownerPat, fields, file(other), { headers });
        expect([refused.status, refused.body.code]).toEqual([422, 'idempotency_key_reused']);
      }
      const opened = await reveal(t.baseUrl, String(first.body.data!.token)).expect(200);
      expect(opened.text).toBe('-----BEGIN KEY-----');
    });
  });

  describe('a file create', () => {
    const file = (data: string) => ({ name: 'id_ed25519', type: 'text/plain', data: Buffer.from(data) });
    const fields = { expire_mode: 'views', expire_value: '1' };

    async function parts(): Promise<number> {
      const [row] = await t.dataSource.query(
        `SELECT count(DISTINCT secret_id)::int AS n FROM secret_file_parts p WHERE NOT EXISTS (SELECT 1 FROM secrets s WHERE s.id = p.secret_id)`,
      );
      return row.n;
    }

    it('a retry of the same upload gets the first answer, and the retry’s bytes are not kept', async () => {
      const key = randomUUID();
      const headers = { 'idempotency-key': key };
      const orphansBefore = await parts();
      const first = await uploadFile(t.baseUrl, pat, fields, file('-----BEGIN KEY-----'), { headers });
      expect(first.status).toBe(201);
      const retry = await uploadFile(t.baseUrl, pat, fields, file('-----BEGIN KEY-----'), { headers });
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect(await parts()).toBe(orphansBefore);
      const opened = await reveal(t.baseUrl, String(first.body.data!.token)).expect(200);
      expect(opened.text).toBe('-----BEGIN KEY-----');
    });

    it('other bytes under the same key are a 422', async () => {
      const key = randomUUID();
      const headers = { 'idempotency-key': key };
      expect((await uploadFile(t.baseUrl, pat, fields, file('one key'), { headers })).status).toBe(201);
      const other = await uploadFile(t.baseUrl, pat, fields, file('two key'), { headers });
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('idempotency_key_reused');
    });
  });
});

describe('tokens and the idempotency key', () => {
  const t = useTestApp();

  it('two tokens of one user share the user’s keys', async () => {
    const { owner, pat } = await newTeamOn('free', t.baseUrl, t.dataSource);
    const second = await newToken(t.baseUrl, owner);
    const key = randomUUID();
    const body = { content: 'x', expire_mode: 'views', expire_value: 1 };
    const first = await supertest(t.baseUrl).post('/api/v1/secrets').set(bearer(pat)).set('Idempotency-Key', key).send(body).expect(201);
    const retry = await supertest(t.baseUrl).post('/api/v1/secrets').set(bearer(second)).set('Idempotency-Key', key).send(body).expect(201);
    expect(retry.body.data.id).toBe(first.body.data.id);
  });
});
