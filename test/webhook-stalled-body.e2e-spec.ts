import type { ServerResponse } from 'node:http';
import { eventually } from './support/eventually';
import { bearer } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';
import { startWebhookReceiver } from './support/webhook-receiver';

describe('one team’s receiver that answers 200 and then stalls its body', () => {
  const t = useTestApp({
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '10000', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_RETRY_DELAYS: '60' },
  });

  it('holds no more connections than its team’s places there, and another team’s delivery to the same host and port goes out at once', async () => {
    const held: ServerResponse[] = [];
    // One host and port, as hooks.slack.com is to many teams: /stall sends its status line and 1 byte of 100.
    const shared = await startWebhookReceiver((res, _n, received) => {
      if (received.path !== '/stall') return void res.end('ok');
      res.writeHead(200, { 'content-length': '100' });
      res.write('1');
      held.push(res);
    });
    const stalls = () => shared.received.filter((hook) => hook.path === '/stall').length;
    try {
      const slow = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const stallUrl = `http://127.0.0.1:${shared.port}/stall`;
      await t.http().post('/api/v1/team/webhooks').set(bearer(slow.pat)).send({ url: stallUrl }).expect(201);
      for (let i = 0; i < 40; i++) {
        const secret = await newSecret(t.baseUrl, {}, slow.pat);
        await t.http().delete(`/api/v1/secrets/${secret.id}`).set(bearer(slow.pat)).expect(204);
      }
      expect(await eventually(() => stalls() >= 4, 5)).toBe(true);

      const other = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: `http://127.0.0.1:${shared.port}/fast` }, other.pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      const attempted = async () =>
        (await t.http().get(`/api/v1/secrets/${secret.id}/webhook-deliveries`).set(bearer(other.pat)).expect(200)).body.data[0];
      expect(await eventually(async () => (await attempted())?.history.length > 0, 15)).toBe(true);
      const delivery = await attempted();
      expect(delivery).toMatchObject({ status: 'delivered', last_status_code: 200 });
      // Not queued behind the stalled sockets (3–5 s before): well under the 1 s a stalled body may be read for.
      expect(delivery.history[0].duration_ms).toBeLessThan(1000);
      // The slow team's two places for that destination, the other team's one, and one it keeps alive.
      expect(shared.mostConnections).toBeLessThanOrEqual(4);
    } finally {
      for (const res of held) res.destroy();
      await shared.close();
    }
  });
});
