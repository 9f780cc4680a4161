import type { ServerResponse } from 'node:http';
import { eventually } from './support/eventually';
import { bearer } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';
import { startWebhookReceiver } from './support/webhook-receiver';

describe('a retry asked for while an attempt at the delivery is under way', () => {
  const t = useTestApp({
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '20000', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_RETRY_DELAYS: '60' },
  });

  it('answers 409 delivery_in_flight and records nothing; the attempt runs its course', async () => {
    const held: ServerResponse[] = [];
    const receiver = await startWebhookReceiver((res) => held.push(res));
    try {
      const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: receiver.url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      expect(await eventually(() => held.length === 1, 10)).toBe(true);
      const deliveries = async () =>
        (await t.http().get(`/api/v1/secrets/${secret.id}/webhook-deliveries`).set(bearer(pat)).expect(200)).body.data;
      const [delivery] = await deliveries();

      const refused = await t.http().post(`/api/v1/webhook-deliveries/${delivery.id}/retry`).set(bearer(pat)).expect(409);
      expect(refused.body).toEqual({
        message: 'An attempt at this delivery is under way; retry it once that attempt has ended.',
        code: 'delivery_in_flight',
      });
      const retried = await t.http().get('/api/v1/team/audit-events?type=webhook_delivery.retried').set(bearer(pat)).expect(200);
      expect(retried.body.data).toEqual([]);

      held[0].end('ok');
      expect(await eventually(async () => (await deliveries())[0].status === 'delivered', 10)).toBe(true);
      expect((await deliveries())[0]).toMatchObject({ attempts: 1, last_status_code: 200 });
    } finally {
      for (const res of held) res.destroy();
      await receiver.close();
    }
  });
});
