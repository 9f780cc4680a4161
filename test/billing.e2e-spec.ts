import { randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Client } from 'pg';
import Stripe from 'stripe';
import supertest from 'supertest';
import { Logger } from '@nestjs/common';
import { createTestDatabase, databaseMode, runUp, TestDatabase, waitingOnLocks } from './support/database';
import { freePort } from './support/free-port';
import { bearer, newTeam, newToken, newUser, TestUser } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { startTestApp, TestApp, useTestApp } from './support/test-app';
import { AddTeamSecretCounts1795630000000 } from '../migrations/1795630000000-AddTeamSecretCounts';
import { AddMonthlyContentBytes1795710000000 } from '../migrations/1795710000000-AddMonthlyContentBytes';
import { RecordEarlierOperatorGrants1795730000000 } from '../migrations/1795730000000-RecordEarlierOperatorGrants';
import { uploadFile } from './support/multipart';
import { clientEncrypt } from './support/secrets';
import { newTeamOf, newTeamOn, setPlan } from './support/teams';
import { TeamPlansService } from '../src/billing/team-plans.service';
import { SecretPurger } from '../src/secrets/secret-purger';
import { systemActor } from '../src/audit/audit.service';

const SECRET = 'whsec_test_oncelink_billing';
const PRICE_PRO = 'price_pro_monthly';
const PRICE_ENTERPRISE = 'price_enterprise_yearly';
const stripe = new Stripe('sk_unused_in_tests');

let eventSeq = 0;

function subscriptionEvent(
  type: string,
  teamId: string,
  price: string,
  status = 'active',
  created = Math.floor(Date.now() / 1000),
  subscription = `sub_${teamId}`,
) {
  eventSeq += 1;
  return {
    id: `evt_test_${Date.now()}_${eventSeq}`,
    object: 'event',
    type,
    created,
    data: {
      object: {
        id: subscription,
        object: 'subscription',
        status,
        metadata: { team_id: teamId },
        items: { data: [{ price: { id: price } }] },
      },
    },
  };
}

/** Signs `event` as Stripe would (a string is sent as it is, JSON or not) and posts it to the app at `baseUrl`. */
function sendSigned(baseUrl: string, event: object | string, options: { secret?: string; skewSeconds?: number } = {}) {
  const payload = typeof event === 'string' ? event : JSON.stringify(event);
  const timestamp = Math.floor(Date.now() / 1000) + (options.skewSeconds ?? 0);
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, timestamp });
  return supertest(baseUrl)
    .post('/api/v1/billing/stripe/webhook')
    .set('Content-Type', 'application/json')
    .set('Stripe-Signature', header)
    .send(payload);
}

describe('billing', () => {
  const t = useTestApp({ env: { STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_PRICE_PRO: PRICE_PRO, STRIPE_PRICE_ENTERPRISE: PRICE_ENTERPRISE } });
  const api = t.http;
  let owner: TestUser;
  let pat: string;

  beforeAll(async () => {
    ({ owner, pat } = await newTeam(t.baseUrl));
  });

  /** Signs and posts `event` to this app (a string is sent as it is, JSON or not). */
  const send = (event: object | string, options: { secret?: string; skewSeconds?: number } = {}) => sendSigned(t.baseUrl, event, options);

  const planOf = async (teamId: string) => (await t.dataSource.query('SELECT plan FROM teams WHERE id = $1', [teamId]))[0].plan;
  const billingOf = async (teamId: string) =>
    (await t.dataSource.query('SELECT plan, billing_status AS status FROM teams WHERE id = $1', [teamId]))[0];

  describe('POST /api/v1/billing/stripe/webhook', () => {
    it('accepts a correctly signed event and moves the team to pro', async () => {
      const res = await send(subscriptionEvent('customer.subscription.created', owner.teamId, PRICE_PRO)).expect(200);
      expect(res.body).toEqual({ received: true });
      expect(await planOf(owner.teamId)).toBe('pro');
      const billing = await api().get('/api/v1/billing').set(bearer(pat)).expect(200);
      expect(billing.body.data).toMatchObject({ plan: 'pro', status: 'active', limits: { features: { webhooks: true } } });
      await newSecret(t.baseUrl, { allowed_countries: ['FR'] }, pat);
    });

    it.each([
      ['a wrong secret', { secret: 'whsec_someone_else' }],
      ['a stale timestamp', { skewSeconds: -301 }],
      ['a timestamp from the future', { skewSeconds: 302 }],
    ])('refuses %s with 400 and changes nothing', async (_case, options) => {
      const team = await newUser(t.baseUrl);
      const res = await send(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO), options).expect(400);
      expect(res.body).toEqual({ message: 'The Stripe signature is invalid.', code: 'invalid_signature' });
      expect(await planOf(team.teamId)).toBe('free');
    });

    it('reads the timestamp as Stripe’s library does, the last `t=`: a future one after the present one is refused', async () => {
      const team = await newUser(t.baseUrl);
      const payload = JSON.stringify(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO));
      const now = Math.floor(Date.now() / 1000);
      const signatureAt = (timestamp: number) =>
        stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp }).split(',')[1];
      const post = (header: string) =>
        api().post('/api/v1/billing/stripe/webhook').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(payload);
      const future = await post(`t=${now},t=${now + 3600},${signatureAt(now + 3600)}`);
      expect([future.status, future.body]).toEqual([400, { message: 'The Stripe signature is invalid.', code: 'invalid_signature' }]);
      expect(await planOf(team.teamId)).toBe('free');
      // The library signs with the last one, so a future one before it is not the signature's time.
      const present = await post(`t=${now + 3600},t=${now},${signatureAt(now)}`);
      expect([present.status, present.body]).toEqual([200, { received: true }]);
      expect(await planOf(team.teamId)).toBe('pro');
    });

    it('acknowledges a correctly signed event it cannot read, changing nothing', async () => {
      const team = await newUser(t.baseUrl);
      const event = () => subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO);
      const subscription = (fields: object) => ({ ...event(), data: { object: { ...event().data.object, ...fields } } });
      const unreadable = [
        { ...event(), created: undefined },
        { ...event(), created: 'yesterday' },
        // Past what a Date holds, and (a day ahead) past the signature's own time.
        { ...event(), created: 9e12 },
        { ...event(), created: Math.floor(Date.now() / 1000) + 86_400 },
        { ...event(), id: undefined },
        { ...event(), id: 'evt_'.padEnd(100_000, 'x') },
        { ...event(), data: undefined },
        { ...event(), data: { object: null } },
        [],
        'x',
        subscription({ items: { data: 'x' } }),
        subscription({ status: {} }),
        subscription({ status: 'a'.repeat(33) }),
        subscription({ metadata: 'team' }),
      ];
      for (const body of unreadable) {
        const res = await send(JSON.stringify(body));
        expect([body, res.status, res.body]).toEqual([body, 200, { received: true }]);
      }
      expect(await planOf(team.teamId)).toBe('free');
    });

    it('acknowledges a correctly signed body that is not JSON at all, as it cannot read it', async () => {
      // The last is JSON the library will not build an event from (a thin event).
      for (const payload of ['not json', '{"id": "evt_1",', '', '{"object": "v2.core.event"}']) {
        const res = await send(payload);
        expect([payload, res.status, res.body]).toEqual([payload, 200, { received: true }]);
      }
      const forged = await send('not json', { secret: 'whsec_another' });
      expect([forged.status, forged.body.code]).toEqual([400, 'invalid_signature']);
    });

    it('refuses a missing signature and a body altered after signing', async () => {
      const team = await newUser(t.baseUrl);
      const event = subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO);
      await api().post('/api/v1/billing/stripe/webhook').send(event).expect(400);
      const header = stripe.webhooks.generateTestHeaderString({ payload: JSON.stringify(event), secret: SECRET });
      const tampered = JSON.stringify({
        ...event,
        data: { object: { ...event.data.object, items: { data: [{ price: { id: PRICE_ENTERPRISE } }] } } },
      });
      await api()
        .post('/api/v1/billing/stripe/webhook')
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', header)
        .send(tampered)
        .expect(400);
      expect(await planOf(team.teamId)).toBe('free');
    });

    it('follows updated and deleted events: past_due keeps the plan while Stripe retries, unpaid returns the team to free', async () => {
      const team = await newUser(t.baseUrl);
      await send(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO)).expect(200);
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_ENTERPRISE)).expect(200);
      expect(await planOf(team.teamId)).toBe('enterprise');
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_ENTERPRISE, 'past_due')).expect(200);
      expect(await planOf(team.teamId)).toBe('enterprise');
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_ENTERPRISE, 'unpaid')).expect(200);
      expect(await planOf(team.teamId)).toBe('free');
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO)).expect(200);
      expect(await planOf(team.teamId)).toBe('pro');
      await send(subscriptionEvent('customer.subscription.deleted', team.teamId, PRICE_PRO, 'canceled')).expect(200);
      expect(await planOf(team.teamId)).toBe('free');
    });

    it('processes an event id once: a replay changes nothing', async () => {
      const team = await newUser(t.baseUrl);
      const upgrade = subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO);
      await send(upgrade).expect(200);
      await send(subscriptionEvent('customer.subscription.deleted', team.teamId, PRICE_PRO, 'canceled')).expect(200);
      await send(upgrade).expect(200);
      expect(await planOf(team.teamId)).toBe('free');
    });

    it('forgets event ids 30 days after they came, once the purge runs, and still deduplicates a younger one', async () => {
      const team = await newUser(t.baseUrl);
      const [old, recent] = [
        subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO),
        subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO),
      ];
      await send(old).expect(200);
      await send(recent).expect(200);
      const receivedAt = (id: string) => t.dataSource.query(`SELECT received_at FROM stripe_events WHERE id = $1`, [id]);
      await t.dataSource.query(`UPDATE stripe_events SET received_at = now() - interval '31 days' WHERE id = $1`, [old.id]);
      await t.dataSource.query(`UPDATE stripe_events SET received_at = now() - interval '29 days' WHERE id = $1`, [recent.id]);
      const [kept] = await receivedAt(recent.id);

      await t.app.get(SecretPurger).purge();

      expect(await receivedAt(old.id)).toEqual([]);
      expect(await receivedAt(recent.id)).toEqual([kept]);
      // A replay is recorded again only if its id was forgotten.
      await send(recent).expect(200);
      expect(await receivedAt(recent.id)).toEqual([kept]);
    });

    it('ignores an event older than the one that last set the plan', async () => {
      const team = await newUser(t.baseUrl);
      const now = Math.floor(Date.now() / 1000);
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO, 'active', now)).expect(200);
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO, 'canceled', now - 60)).expect(200);
      expect(await planOf(team.teamId)).toBe('pro');
    });

    it('keeps the plan another subscription still pays for when one is cancelled', async () => {
      const team = await newUser(t.baseUrl);
      const now = Math.floor(Date.now() / 1000);
      const created = (price: string, at: number, sub: string) =>
        subscriptionEvent('customer.subscription.created', team.teamId, price, 'active', at, sub);
      await send(created(PRICE_PRO, now - 100, 'sub_old')).expect(200);
      await send(created(PRICE_ENTERPRISE, now - 50, 'sub_new')).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'enterprise', status: 'active' });
      // The old subscription ends after the new one began: the team keeps what the new one pays for.
      await send(subscriptionEvent('customer.subscription.deleted', team.teamId, PRICE_PRO, 'canceled', now - 40, 'sub_old')).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'enterprise', status: 'active' });
      // A late, older event of the cancelled one brings nothing back; a cheaper new subscription takes nothing away.
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO, 'active', now - 60, 'sub_old')).expect(200);
      await send(created(PRICE_PRO, now - 30, 'sub_extra')).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'enterprise', status: 'active' });
      await send(subscriptionEvent('customer.subscription.deleted', team.teamId, PRICE_ENTERPRISE, 'canceled', now - 20, 'sub_new')).expect(
        200,
      );
      expect(await billingOf(team.teamId)).toEqual({ plan: 'pro', status: 'active' });
      await send(subscriptionEvent('customer.subscription.deleted', team.teamId, PRICE_PRO, 'canceled', now - 10, 'sub_extra')).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'free', status: 'canceled' });
    });

    it('moves subscriptions between two teams in opposite directions at once without a deadlock (a 500)', async () => {
      const [a, b] = [await newUser(t.baseUrl), await newUser(t.baseUrl)];
      const start = Math.floor(Date.now() / 1000) - 1000;
      const event = (team: string, sub: string, at: number) =>
        subscriptionEvent('customer.subscription.updated', team, PRICE_PRO, 'active', at, sub);
      await send(event(a.teamId, 'sub_swap_p', start)).expect(200);
      await send(event(b.teamId, 'sub_swap_q', start)).expect(200);
      for (let round = 1; round <= 10; round++) {
        const [to, from] = round % 2 ? [b, a] : [a, b];
        const answers = await Promise.all([
          send(event(to.teamId, 'sub_swap_p', start + round)),
          send(event(from.teamId, 'sub_swap_q', start + round)),
        ]);
        expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      }
      expect([await planOf(a.teamId), await planOf(b.teamId)]).toEqual(['pro', 'pro']);
      const subscriptions = await t.dataSource.query(
        `SELECT subscription_id, team_id FROM team_subscriptions WHERE subscription_id LIKE 'sub_swap_%' ORDER BY subscription_id`,
      );
      expect(subscriptions).toEqual([
        { subscription_id: 'sub_swap_p', team_id: a.teamId },
        { subscription_id: 'sub_swap_q', team_id: b.teamId },
      ]);
    });

    it('takes the burst Stripe sends for a new subscription (created, then updated twice) at once without a deadlock (a 500)', async () => {
      const start = Math.floor(Date.now() / 1000) - 1000;
      for (let round = 0; round < 20; round++) {
        const team = await newUser(t.baseUrl);
        const sub = `sub_burst_${randomBytes(6).toString('hex')}`;
        const answers = await Promise.all([
          send(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO, 'incomplete', start, sub)),
          send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO, 'active', start + 1, sub)),
          send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO, 'active', start + 2, sub)),
        ]);
        expect([round, answers.map((answer) => answer.status)]).toEqual([round, [200, 200, 200]]);
        expect([round, await billingOf(team.teamId)]).toEqual([round, { plan: 'pro', status: 'active' }]);
      }
    });

    it('leaves no team a plan nothing pays for when new subscriptions move between two teams at once', async () => {
      const start = Math.floor(Date.now() / 1000) - 1000;
      for (let round = 0; round < 8; round++) {
        const [a, b] = [await newUser(t.baseUrl), await newUser(t.baseUrl)];
        const [x, y] = [`sub_new_x_${randomBytes(6).toString('hex')}`, `sub_new_y_${randomBytes(6).toString('hex')}`];
        const events = [0, 1, 2].flatMap((i) => {
          const [first, second] = i % 2 ? [a, b] : [b, a];
          return [
            subscriptionEvent('customer.subscription.updated', first.teamId, PRICE_PRO, 'active', start + i, x),
            subscriptionEvent('customer.subscription.updated', second.teamId, PRICE_ENTERPRISE, 'active', start + i, y),
          ];
        });
        const answers = await Promise.all(events.map((event) => send(event)));
        expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
        // The newest events put x on b and y on a.
        expect([round, await planOf(a.teamId), await planOf(b.teamId)]).toEqual([round, 'enterprise', 'pro']);
      }
    });

    it('keeps a known subscription with its team when an event’s metadata names no team: none, a deleted team, not a team id', async () => {
      const now = Math.floor(Date.now() / 1000);
      const withMetadata = (event: ReturnType<typeof subscriptionEvent>, metadata?: object) => ({
        ...event,
        data: { object: { ...event.data.object, metadata } },
      });
      const deleted = await newTeamOf(t.baseUrl, owner, 'Deleted');
      await api().delete('/api/v1/team').set(bearer(deleted.pat)).expect(204);
      for (const metadata of [undefined, {}, { team_id: deleted.teamId }, { team_id: 'not-a-team' }]) {
        const team = await newTeamOf(t.baseUrl, owner);
        const sub = `sub_metadata_${randomBytes(6).toString('hex')}`;
        const event = (type: string, price: string, status: string, at: number) =>
          withMetadata(subscriptionEvent(type, team.teamId, price, status, at, sub), metadata);
        await send(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO, 'active', now - 30, sub)).expect(200);
        await send(event('customer.subscription.updated', PRICE_ENTERPRISE, 'active', now - 20)).expect(200);
        expect([metadata, await billingOf(team.teamId)]).toEqual([metadata, { plan: 'enterprise', status: 'active' }]);
        await send(event('customer.subscription.deleted', PRICE_ENTERPRISE, 'canceled', now - 10)).expect(200);
        expect([metadata, await billingOf(team.teamId)]).toEqual([metadata, { plan: 'free', status: 'canceled' }]);
        // Nothing bills the team any more: it may go.
        await api().delete('/api/v1/team').set(bearer(team.pat)).expect(204);
      }
      // An unknown subscription whose metadata names no team is acknowledged and kept nowhere.
      const unknown = withMetadata(
        subscriptionEvent('customer.subscription.created', owner.teamId, PRICE_PRO, 'active', now, 'sub_nowhere'),
        {},
      );
      expect((await send(unknown).expect(200)).body).toEqual({ received: true });
      expect(await t.dataSource.query(`SELECT 1 FROM team_subscriptions WHERE subscription_id = 'sub_nowhere'`)).toEqual([]);
    });

    it('reads the team id in metadata whatever its case', async () => {
      const team = await newUser(t.baseUrl);
      const now = Math.floor(Date.now() / 1000);
      const upper = team.teamId.toUpperCase();
      const sub = `sub_upper_${randomBytes(6).toString('hex')}`;
      await send(subscriptionEvent('customer.subscription.created', upper, PRICE_PRO, 'active', now - 20, sub)).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'pro', status: 'active' });
      await send(subscriptionEvent('customer.subscription.deleted', upper, PRICE_PRO, 'canceled', now - 10, sub)).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'free', status: 'canceled' });
    });

    it('keeps a plan the operator granted when a subscription pays for less, and gives the more a subscription pays for', async () => {
      const team = await newUser(t.baseUrl);
      const plans = t.app.get(TeamPlansService);
      expect(await plans.grant(team.teamId, 'pro', systemActor(team.teamId, 'operator'))).toBe('pro');
      // A checkout started and abandoned: the grant stays, and the status shows the subscription's.
      await send(
        subscriptionEvent('customer.subscription.created', team.teamId, PRICE_ENTERPRISE, 'incomplete', undefined, 'sub_abandoned'),
      ).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'pro', status: 'incomplete' });
      await send(
        subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_ENTERPRISE, 'active', undefined, 'sub_abandoned'),
      ).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'enterprise', status: 'active' });
      await send(
        subscriptionEvent('customer.subscription.deleted', team.teamId, PRICE_ENTERPRISE, 'canceled', undefined, 'sub_abandoned'),
      ).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'pro', status: 'canceled' });
      // Free takes the grant away.
      expect(await plans.grant(team.teamId, 'free', systemActor(team.teamId, 'operator'))).toBe('free');
      expect(await billingOf(team.teamId)).toEqual({ plan: 'free', status: 'canceled' });
      expect(await plans.grant('00000000-0000-4000-8000-000000000000', 'pro', systemActor(team.teamId, 'operator'))).toBeNull();
    });

    it('records each change of the operator’s grant, even where a subscription keeps the plan, and nothing for the same grant', async () => {
      const team = await newUser(t.baseUrl);
      const plans = t.app.get(TeamPlansService);
      const operator = systemActor(team.teamId, 'operator');
      const changes = async () =>
        (
          await t.dataSource.query(`SELECT actor_name FROM audit_events WHERE team_id = $1 AND type = 'plan.changed' ORDER BY created_at`, [
            team.teamId,
          ])
        ).map((event: { actor_name: string }) => event.actor_name);
      await send(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_ENTERPRISE)).expect(200);
      expect(await changes()).toEqual(['billing']);
      expect(await plans.grant(team.teamId, 'pro', operator)).toBe('enterprise');
      expect(await changes()).toEqual(['billing', 'operator']);
      expect(await plans.grant(team.teamId, 'pro', operator)).toBe('enterprise');
      expect(await changes()).toEqual(['billing', 'operator']);
      expect(await plans.grant(team.teamId, 'free', operator)).toBe('enterprise');
      expect(await changes()).toEqual(['billing', 'operator', 'operator']);
    });

    it('records as grants the plans plan:set gave before grants were kept, and only those', async () => {
      const comped = await newUser(t.baseUrl);
      const paid = await newUser(t.baseUrl);
      // As plan:set and a Stripe event left teams before operator_plan: the plan, and who changed it last.
      for (const [team, by] of [
        [comped, 'operator'],
        [paid, 'billing'],
      ] as const) {
        await t.dataSource.query(`UPDATE teams SET plan = 'pro', operator_plan = NULL WHERE id = $1`, [team.teamId]);
        await t.dataSource.query(
          `INSERT INTO audit_events (id, team_id, type, actor_type, actor_name, target_id) VALUES (gen_random_uuid(), $1, 'plan.changed', 'system', $2, $1)`,
          [team.teamId, by],
        );
      }
      await runUp(t.dataSource, new RecordEarlierOperatorGrants1795730000000());
      const grants = await t.dataSource.query('SELECT id, operator_plan FROM teams WHERE id = ANY($1::uuid[])', [
        [comped.teamId, paid.teamId],
      ]);
      expect(Object.fromEntries(grants.map((team: { id: string; operator_plan: string | null }) => [team.id, team.operator_plan]))).toEqual(
        {
          [comped.teamId]: 'pro',
          [paid.teamId]: null,
        },
      );
      // An abandoned checkout no longer takes the comped team's plan away.
      await send(
        subscriptionEvent('customer.subscription.created', comped.teamId, PRICE_ENTERPRISE, 'incomplete', undefined, 'sub_old_grant'),
      ).expect(200);
      expect(await billingOf(comped.teamId)).toEqual({ plan: 'pro', status: 'incomplete' });
    });

    it('orders events of the same second as Stripe makes them: created, then updated, then deleted', async () => {
      const team = await newUser(t.baseUrl);
      const now = Math.floor(Date.now() / 1000);
      // Stripe creates a subscription incomplete and updates it to active once paid, often within the second.
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO, 'active', now)).expect(200);
      await send(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO, 'incomplete', now)).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'pro', status: 'active' });
      await send(subscriptionEvent('customer.subscription.deleted', team.teamId, PRICE_PRO, 'canceled', now + 1)).expect(200);
      await send(subscriptionEvent('customer.subscription.updated', team.teamId, PRICE_PRO, 'active', now + 1)).expect(200);
      expect(await billingOf(team.teamId)).toEqual({ plan: 'free', status: 'canceled' });
    });

    it('acknowledges a signed event with a NUL in its id, type or status, changing nothing', async () => {
      const team = await newUser(t.baseUrl);
      const event = () => subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO);
      const subscription = (fields: object) => ({ ...event(), data: { object: { ...event().data.object, ...fields } } });
      for (const body of [
        { ...event(), id: 'evt_\u0000nul' },
        { ...event(), type: 'customer.subscription.created\u0000' },
        subscription({ status: 'active\u0000' }),
      ]) {
        const res = await send(body);
        expect([res.status, res.body]).toEqual([200, { received: true }]);
      }
      expect(await planOf(team.teamId)).toBe('free');
    });

    it('reads a signed event whose metadata has a __proto__ key, as Stripe lets merchants name keys', async () => {
      const team = await newUser(t.baseUrl);
      const event = subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO);
      const payload = JSON.stringify(event).replace('"metadata":{', '"metadata":{"__proto__":"x","constructor":{"prototype":1},');
      const res = await send(payload);
      expect([res.status, res.body]).toEqual([200, { received: true }]);
      expect(await planOf(team.teamId)).toBe('pro');
    });

    it('records plan changes in the audit trail', async () => {
      const team = await newUser(t.baseUrl);
      const teamPat = await newToken(t.baseUrl, team);
      await send(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO)).expect(200);
      const events = await api().get('/api/v1/team/audit-events').set(bearer(teamPat)).expect(200);
      expect(events.body.data[0]).toMatchObject({
        type: 'plan.changed',
        actor: { type: 'system', id: null, name: 'billing' },
        target_id: team.teamId,
      });
    });
    // The deletion and the event need two connections, which PGlite does not serve.
    (databaseMode() === 'postgresql' ? it : it.skip)(
      'refuses DELETE /team with 422 subscription_active when a subscription starts while the deletion runs, keeping both',
      async () => {
        const team = await newTeamOf(t.baseUrl, owner);
        await newSecret(t.baseUrl, {}, team.pat);
        const sub = `sub_deleting_${randomBytes(6).toString('hex')}`;
        const holder = new Client({ connectionString: t.db.url });
        const watcher = new Client({ connectionString: t.db.url });
        await Promise.all([holder.connect(), watcher.connect()]);
        try {
          // The deletion has found nothing billing the team and waits on this secret, before it locks the team's row.
          await holder.query('BEGIN');
          await holder.query('SELECT 1 FROM secrets WHERE team_id = $1 FOR UPDATE', [team.teamId]);
          const deletion = api()
            .delete('/api/v1/team')
            .set(bearer(team.pat))
            .then((res) => [res.status, res.body.code]);
          expect(await waitingOnLocks(watcher)).toBe(true);
          await send(subscriptionEvent('customer.subscription.created', team.teamId, PRICE_PRO, 'active', undefined, sub)).expect(200);
          await holder.query('COMMIT');
          expect(await deletion).toEqual([422, 'subscription_active']);
        } finally {
          await Promise.all([holder.end(), watcher.end()]);
        }
        expect(await billingOf(team.teamId)).toEqual({ plan: 'pro', status: 'active' });
        expect(await t.dataSource.query('SELECT team_id FROM team_subscriptions WHERE subscription_id = $1', [sub])).toEqual([
          { team_id: team.teamId },
        ]);
      },
    );
  });

  describe('GET /api/v1/billing', () => {
    it('answers 401 without a token', async () => {
      await api().get('/api/v1/billing').expect(401);
    });

    it('shows the plan, its limits and this period’s usage', async () => {
      const team = await newUser(t.baseUrl);
      const teamPat = await newToken(t.baseUrl, team);
      await newSecret(t.baseUrl, {}, teamPat);
      await newSecret(t.baseUrl, {}, teamPat);
      const res = await api().get('/api/v1/billing').set(bearer(teamPat)).expect(200);
      expect(res.body.data).toMatchObject({
        plan: 'free',
        status: null,
        limits: {
          content_bytes: 65536,
          members: 5,
          requests_per_second: 40,
          features: { webhooks: false, geo_blocking: false, files: false },
        },
        usage: { members: 1, secrets_created_this_period: 2, active_secrets: 2 },
      });
    });

    const createdThisPeriod = async (pat: string) =>
      (await api().get('/api/v1/billing').set(bearer(pat)).expect(200)).body.data.usage.secrets_created_this_period as number;

    it('counts every one of many creates made at once, whatever connection made it', async () => {
      const team = await newUser(t.baseUrl);
      const teamPat = await newToken(t.baseUrl, team);
      await Promise.all(Array.from({ length: 25 }, () => newSecret(t.baseUrl, {}, teamPat)));
      expect(await createdThisPeriod(teamPat)).toBe(25);
    });

    it('starts each month at zero: the count is of the month, not of the secrets still kept', async () => {
      const team = await newUser(t.baseUrl);
      const teamPat = await newToken(t.baseUrl, team);
      await newSecret(t.baseUrl, {}, teamPat);
      await newSecret(t.baseUrl, {}, teamPat);
      await t.dataSource.query(`UPDATE team_secret_counts SET period = (period - interval '1 month')::date WHERE team_id = $1`, [
        team.teamId,
      ]);
      expect(await createdThisPeriod(teamPat)).toBe(0);
      await newSecret(t.baseUrl, {}, teamPat);
      expect(await createdThisPeriod(teamPat)).toBe(1);
    });

    describe('the month’s content', () => {
      const MIB = 1024 * 1024;
      const usage = async (pat: string) => (await api().get('/api/v1/billing').set(bearer(pat)).expect(200)).body.data.usage;
      /** Leaves the team `left` bytes of its plan's month, as if it had created the rest. */
      const leave = async (teamId: string, budget: number, left: number) =>
        t.dataSource.query(
          `INSERT INTO team_secret_counts (team_id, period, shard, created, content_bytes)
           VALUES ($1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, 99, 0, $2::bigint - $3::bigint -
                   (SELECT coalesce(sum(content_bytes), 0) FROM team_secret_counts WHERE team_id = $1 AND period = date_trunc('month', now() AT TIME ZONE 'UTC')::date))`,
          [teamId, budget, left],
        );

      it('holds a team’s text and encrypted secrets of a month to the plan’s bytes, writing nothing past them', async () => {
        const team = await newUser(t.baseUrl);
        const teamPat = await newToken(t.baseUrl, team);
        await newSecret(t.baseUrl, { content: 'x'.repeat(1000) }, teamPat);
        const before = await usage(teamPat);
        expect(before).toMatchObject({ secrets_created_this_period: 1, content_bytes_this_period: 1000 });
        const limits = (await api().get('/api/v1/billing').set(bearer(teamPat)).expect(200)).body.data.limits;
        expect(limits.content_bytes_per_month).toBe(256 * MIB);

        await leave(team.teamId, limits.content_bytes_per_month, 100);
        await newSecret(t.baseUrl, { content: 'y'.repeat(60) }, teamPat);
        const refused = await api()
          .post('/api/v1/secrets')
          .set(bearer(teamPat))
          .send({ content: 'z'.repeat(41), expire_mode: 'views', expire_value: 1 })
          .expect(413);
        expect(refused.body).toEqual({
          message: `The team's secrets this month would hold more than the free plan's ${256 * MIB} bytes; the count starts again on the first of next month (UTC).`,
          code: 'plan_limit',
        });
        const sealed = clientEncrypt('z'.repeat(41));
        await api()
          .post('/api/v1/secrets')
          .set(bearer(teamPat))
          .send({ ciphertext: sealed.ciphertext, iv: sealed.iv, expire_mode: 'views', expire_value: 1 })
          .expect(413);
        await newSecret(t.baseUrl, { content: 'w'.repeat(40) }, teamPat);
        expect(await usage(teamPat)).toMatchObject({ secrets_created_this_period: 3, content_bytes_this_period: 256 * MIB });
        const created = await t.dataSource.query(`SELECT count(*)::int AS n FROM secrets WHERE team_id = $1`, [team.teamId]);
        expect(created[0].n).toBe(3);
        const events = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1 AND type = 'secret.created'`,
          [team.teamId],
        );
        expect(events[0].n).toBe(3);
        // Anonymous secrets have no team's month: the address's rate limit bounds them.
        await newSecret(t.baseUrl, { content: 'z'.repeat(41) });
      });

      it('answers a retried keyed create as it was answered, though the month is spent since', async () => {
        const team = await newUser(t.baseUrl);
        const teamPat = await newToken(t.baseUrl, team);
        const body = { content: 'keyed', expire_mode: 'views', expire_value: 1 };
        const first = await api().post('/api/v1/secrets').set(bearer(teamPat)).set('Idempotency-Key', 'month-spent').send(body).expect(201);
        await leave(team.teamId, 256 * MIB, 0);
        const again = await api().post('/api/v1/secrets').set(bearer(teamPat)).set('Idempotency-Key', 'month-spent').send(body).expect(201);
        expect(again.body.data.id).toBe(first.body.data.id);
        await api().post('/api/v1/secrets').set(bearer(teamPat)).set('Idempotency-Key', 'another').send(body).expect(413);
      });

      it('counts the content a PUT stores as a create’s, and refuses one past the month, changing nothing', async () => {
        const team = await newUser(t.baseUrl);
        const teamPat = await newToken(t.baseUrl, team);
        const secret = await newSecret(t.baseUrl, { content: 'a', expire_mode: 'views', expire_value: 3 }, teamPat);
        const put = (content: string) => api().put(`/api/v1/secrets/${secret.id}`).set(bearer(teamPat)).send({ content });
        await put('b'.repeat(1000)).expect(200);
        await put('c'.repeat(2000)).expect(200);
        // The replaced content stays counted: the month counts what was stored, as a create's bytes stay counted after its last view.
        expect(await usage(teamPat)).toMatchObject({ secrets_created_this_period: 1, content_bytes_this_period: 3001 });

        await leave(team.teamId, 256 * MIB, 100);
        await put('d'.repeat(60)).expect(200);
        const refused = await put('e'.repeat(41)).expect(413);
        expect(refused.body).toEqual({
          message: `The team's secrets this month would hold more than the free plan's ${256 * MIB} bytes; the count starts again on the first of next month (UTC).`,
          code: 'plan_limit',
        });
        expect(await usage(teamPat)).toMatchObject({ secrets_created_this_period: 1, content_bytes_this_period: 256 * MIB - 40 });
        const updates = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1 AND type = 'secret.updated'`,
          [team.teamId],
        );
        expect(updates[0].n).toBe(3);
        expect((await reveal(t.baseUrl, secret.token).expect(200)).body.data.content).toBe('d'.repeat(60));
      });

      it('holds an encrypted secret’s PUT to the plan’s content size and counts its ciphertext against the month as a text PUT’s', async () => {
        const team = await newUser(t.baseUrl);
        const teamPat = await newToken(t.baseUrl, team);
        const first = clientEncrypt('a');
        const secret = await newSecret(t.baseUrl, { content: undefined, ciphertext: first.ciphertext, iv: first.iv }, teamPat);
        const put = (plaintext: string) => {
          const sealed = clientEncrypt(plaintext, first.key);
          return api().put(`/api/v1/secrets/${secret.id}`).set(bearer(teamPat)).send({ ciphertext: sealed.ciphertext, iv: sealed.iv });
        };
        // The free plan's 64 KiB counts the ciphertext, whose 16-byte tag takes the plaintext past it.
        expect((await put('x'.repeat(64 * 1024 - 16 + 1)).expect(413)).body.code).toBe('plan_limit');
        await put('b'.repeat(1000)).expect(200);
        expect(await usage(teamPat)).toMatchObject({ secrets_created_this_period: 1, content_bytes_this_period: 17 + 1016 });

        await leave(team.teamId, 256 * MIB, 100);
        await put('c'.repeat(44)).expect(200);
        expect((await put('d'.repeat(25)).expect(413)).body.code).toBe('plan_limit');
        expect(await usage(teamPat)).toMatchObject({ content_bytes_this_period: 256 * MIB - 40 });
      });

      it('lets PUTs made at once pass the month’s last bytes one at a time', async () => {
        const team = await newUser(t.baseUrl);
        const teamPat = await newToken(t.baseUrl, team);
        const secrets = await Promise.all(Array.from({ length: 6 }, () => newSecret(t.baseUrl, { content: 'a' }, teamPat)));
        await leave(team.teamId, 256 * MIB, 100);
        const answers = await Promise.all(
          secrets.map((secret) =>
            api()
              .put(`/api/v1/secrets/${secret.id}`)
              .set(bearer(teamPat))
              .send({ content: 'f'.repeat(40) }),
          ),
        );
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 413, 413, 413, 413]);
        expect((await usage(teamPat)).content_bytes_this_period).toBe(256 * MIB - 20);
      });

      it('leaves files to the file store’s own bound', async () => {
        const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
        await leave(team.owner.teamId, 16 * 1024 * MIB, 0);
        const data = randomBytes(4096);
        const upload = await uploadFile(
          t.baseUrl,
          team.pat,
          { expire_mode: 'views', expire_value: '1' },
          { name: 'a.bin', type: 'application/octet-stream', data },
        );
        expect(upload.status).toBe(201);
        const after = await usage(team.pat);
        expect(after.content_bytes_this_period).toBe(16 * 1024 * MIB);
        expect(after.file_bytes_held).toBeGreaterThanOrEqual(data.length);
        await api().post('/api/v1/secrets').set(bearer(team.pat)).send({ content: 'x', expire_mode: 'views', expire_value: 1 }).expect(413);
      });
    });

    it('counts the months before the count existed once, as the migration runs', async () => {
      const team = await newUser(t.baseUrl);
      const teamPat = await newToken(t.baseUrl, team);
      const old = await newSecret(t.baseUrl, {}, teamPat);
      await newSecret(t.baseUrl, {}, teamPat);
      await newSecret(t.baseUrl, {}, teamPat);
      await t.dataSource.query(`UPDATE secrets SET created_at = created_at - interval '1 month' WHERE id = $1`, [old.id]);
      await t.dataSource.query('DROP TABLE team_secret_counts');
      await runUp(t.dataSource, new AddTeamSecretCounts1795630000000(), new AddMonthlyContentBytes1795710000000());
      const months: { period: string; created: string }[] = await t.dataSource.query(
        `SELECT period::text, sum(created)::text AS created FROM team_secret_counts WHERE team_id = $1 GROUP BY period ORDER BY period`,
        [team.teamId],
      );
      expect(months.map((month) => Number(month.created))).toEqual([1, 2]);
      expect(await createdThisPeriod(teamPat)).toBe(2);
    });
  });

  describe('a PUT after a downgrade', () => {
    const put = (teamPat: string, id: string, body: object) => api().put(`/api/v1/secrets/${id}`).set(bearer(teamPat)).send(body);
    const expiresAt = async (id: string): Promise<Date> =>
      (await t.dataSource.query('SELECT expires_at FROM secrets WHERE id = $1', [id]))[0].expires_at;

    it('gives a text made on Pro over the new plan’s size no new budget (413, as a create), while its label still changes', async () => {
      const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const content = 'x'.repeat(1_000_000);
      const secret = await newSecret(t.baseUrl, { content, expire_mode: 'views', expire_value: 2 }, team.pat);
      await setPlan(t.dataSource, team.owner.teamId, 'free');
      const created = await api().post('/api/v1/secrets').set(bearer(team.pat)).send({ content, expire_mode: 'views', expire_value: 2 });
      expect([created.status, created.body.code]).toEqual([413, 'plan_limit']);
      const ends = await expiresAt(secret.id);

      for (const body of [{ expire_mode: 'minutes', expire_value: 10080 }, { expire_value: 5 }, { expires_in_minutes: 60 }]) {
        const res = await put(team.pat, secret.id, body);
        expect([body, res.status, res.body]).toEqual([body, 413, created.body]);
      }
      expect(await expiresAt(secret.id)).toEqual(ends);

      const labelled = await put(team.pat, secret.id, { label: 'kept' });
      expect([labelled.status, labelled.body.data.label, labelled.body.data.views_remaining]).toEqual([200, 'kept', 2]);
      // New content within the plan is held to the plan as new content is, and renews with it.
      const replaced = await put(team.pat, secret.id, { content: 'small', expire_value: 5 });
      expect([replaced.status, replaced.body.data.views_remaining]).toEqual([200, 5]);
    });

    it.each([
      ['geo-blocked', { allowed_countries: ['DE'] }],
      ['with a webhook_url', { webhook_url: 'https://hooks.example.test/viewed' }],
    ])(
      'gives a secret made on Pro %s no new budget, nor new content with one, on Free (403, as a create), changing nothing',
      async (_, feature) => {
        const team = await newTeamOn('pro', t.baseUrl, t.dataSource);
        const secret = await newSecret(t.baseUrl, { content: 'made on pro', expire_mode: 'views', expire_value: 2, ...feature }, team.pat);
        await setPlan(t.dataSource, team.owner.teamId, 'free');
        const created = await api()
          .post('/api/v1/secrets')
          .set(bearer(team.pat))
          .send({ content: 'x', expire_mode: 'views', expire_value: 2, ...feature });
        expect([created.status, created.body.code]).toEqual([403, 'plan_limit']);
        const stored = async () =>
          (
            await t.dataSource.query(
              `SELECT expire_mode, expire_value, views_remaining, expires_at, ciphertext, iv, content_bytes, updated_at FROM secrets WHERE id = $1`,
              [secret.id],
            )
          )[0];
        const before = await stored();

        for (const body of [
          { content: 'brand new', expire_value: 10080 },
          { expire_value: 10 },
          { expire_mode: 'minutes', expire_value: 10080 },
          { expires_in_minutes: 60 },
        ]) {
          const res = await put(team.pat, secret.id, body);
          expect([body, res.status, res.body]).toEqual([body, 403, created.body]);
        }
        expect(await stored()).toEqual(before);
        const labelled = await put(team.pat, secret.id, { label: 'kept' });
        expect([labelled.status, labelled.body.data.label, labelled.body.data.views_remaining]).toEqual([200, 'kept', 2]);
      },
    );
  });
});

describe('a plan sold at several prices', () => {
  const t = useTestApp({ env: { STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_PRICE_PRO: 'price_m, price_y' } });
  let warned: jest.SpyInstance;
  beforeEach(() => {
    warned = jest.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => warned.mockRestore());
  // This rule's warnings only: anything else the app may say meanwhile is not counted.
  const priceWarnings = () => warned.mock.calls.map(([line]) => String(line)).filter((line) => line.startsWith('Stripe subscription'));

  const billing = async (pat: string) => (await t.http().get('/api/v1/billing').set(bearer(pat)).expect(200)).body.data;

  it('gives pro to a subscription on any of STRIPE_PRICE_PRO’s prices, the yearly as the monthly', async () => {
    for (const price of ['price_y', 'price_m']) {
      const { owner, pat } = await newTeam(t.baseUrl);
      await sendSigned(t.baseUrl, subscriptionEvent('customer.subscription.created', owner.teamId, price)).expect(200);
      expect(await billing(pat)).toMatchObject({ plan: 'pro', status: 'active' });
    }
    expect(priceWarnings()).toEqual([]);
  });

  it('says so when a paying subscription is on none of the prices, naming it and its prices, and leaves its team on free', async () => {
    const { owner, pat } = await newTeam(t.baseUrl);
    const subscription = `sub_unpriced_${randomBytes(4).toString('hex')}`;
    const event = subscriptionEvent('customer.subscription.created', owner.teamId, 'price_other', 'active', undefined, subscription);
    await sendSigned(t.baseUrl, event).expect(200);
    expect(await billing(pat)).toMatchObject({ plan: 'free', status: 'active' });
    expect(priceWarnings()).toHaveLength(1);
    const [line] = priceWarnings();
    expect(line).toContain(subscription);
    expect(line).toContain('[price_other]');
    expect(line).not.toContain(SECRET);
    // One that does not pay is free whatever its prices: nothing to say.
    await sendSigned(t.baseUrl, subscriptionEvent('customer.subscription.updated', owner.teamId, 'price_other', 'unpaid')).expect(200);
    expect(priceWarnings()).toHaveLength(1);
  });
});

describe('a Stripe webhook secret without prices', () => {
  let warned: jest.SpyInstance;
  // Before the app starts: the warning is said once, at start.
  beforeAll(() => {
    warned = jest.spyOn(Logger.prototype, 'warn');
  });
  afterAll(() => warned.mockRestore());
  useTestApp({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });

  it('warns at start that every subscription would mean the free plan', () => {
    expect(warned).toHaveBeenCalledWith(
      'STRIPE_WEBHOOK_SECRET is set but neither STRIPE_PRICE_PRO nor STRIPE_PRICE_ENTERPRISE: every subscription will mean the free plan',
    );
  });
});

describe('the plan:set operator command', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  const setPlan = (args: string[], env: Record<string, string> = { DATABASE_URL: db.url }) =>
    promisify(execFile)(process.execPath, [join(__dirname, '../dist/scripts/set-plan.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', ENCRYPTION_KEY: randomBytes(32).toString('base64'), ...env },
      timeout: 30_000,
    });
  const setPlanFailure = (args: string[], env?: Record<string, string>) =>
    setPlan(args, env).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );

  it('sets a team’s plan without Stripe and records it, keeping the Stripe subscription’s status', async () => {
    const owner = await newUser(t.baseUrl);
    await t.dataSource.query(`UPDATE teams SET plan = 'pro', billing_status = 'active' WHERE id = $1`, [owner.teamId]);
    await t.dataSource.query(
      `INSERT INTO team_subscriptions (subscription_id, team_id, plan, status, event_at, event_rank) VALUES ('sub_granted', $1, 'pro', 'active', now(), 0)`,
      [owner.teamId],
    );
    // As an operator would on the embedded database: with the server stopped.
    await t.close();
    // Asynchronously: in embedded mode the database is served from this very process.
    const { stdout } = await setPlan([owner.teamId, 'enterprise']);
    expect(stdout).toContain('is now on enterprise');
    t = await startTestApp({ db });
    const [team] = await t.dataSource.query('SELECT plan, billing_status FROM teams WHERE id = $1', [owner.teamId]);
    expect(team).toEqual({ plan: 'enterprise', billing_status: 'active' });
    const [event] = await t.dataSource.query(`SELECT actor_name FROM audit_events WHERE team_id = $1 AND type = 'plan.changed'`, [
      owner.teamId,
    ]);
    expect(event.actor_name).toBe('operator');

    // Granted less than the subscription pays for: the subscription's plan, and the command says so.
    await t.close();
    const { stdout: less } = await setPlan([owner.teamId, 'free']);
    expect(less).toBe(`team ${owner.teamId} is now on pro (its Stripe subscription pays for pro)\n`);
    t = await startTestApp({ db });
  });

  it('answers a team id that is not one with its usage line (exit 64), not a stack trace', async () => {
    const failed = await setPlanFailure(['not-a-uuid', 'pro']);
    expect(failed?.code).toBe(64);
    expect(failed?.stderr).toBe('usage: npm run plan:set -- <team_id> <free|pro|enterprise>\n');
  });

  it('answers an argument too many with its usage line (exit 64)', async () => {
    const failed = await setPlanFailure([randomUUID(), 'pro', 'enterprise']);
    expect(failed?.code).toBe(64);
    expect(failed?.stderr).toBe('usage: npm run plan:set -- <team_id> <free|pro|enterprise>\n');
  });

  it('says in one line, at once, that the database cannot be reached', async () => {
    const started = Date.now();
    const failed = await setPlanFailure([randomUUID(), 'pro'], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/oncelink`,
    });
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^plan:set failed: .*ECONNREFUSED.*\n$/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('refuses a DATA_DIR that holds no database, and leaves nothing there', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oncelink-plan-'));
    try {
      const failed = await setPlanFailure([randomUUID(), 'pro'], { DATA_DIR: dataDir });
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toBe(
        `plan:set failed: DATA_DIR ${dataDir} holds no database: set DATA_DIR to the server's, or DATABASE_URL\n`,
      );
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
