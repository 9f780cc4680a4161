import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { eventually } from './support/eventually';
import { bearer } from './support/factories';
import { newSecret, reveal } from './support/secrets';
import { newTeamOn } from './support/teams';
import { useTestApp } from './support/test-app';

describe('a receiver that never closes an idle connection', () => {
  const t = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_RETRY_DELAYS: '60' } });

  it('has the kept-alive connection closed by us once it has been idle a while', async () => {
    const open = new Set<Socket>();
    // keepAliveTimeout 0: the receiver keeps an idle connection for as long as its client does.
    const receiver = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
    receiver.keepAliveTimeout = 0;
    receiver.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { pat } = await newTeamOn('pro', t.baseUrl, t.dataSource);
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const secret = await newSecret(t.baseUrl, { expire_value: 2, webhook_url: url }, pat);
      await reveal(t.baseUrl, secret.token).expect(200);
      const deliveries = async () =>
        (await t.http().get(`/api/v1/secrets/${secret.id}/webhook-deliveries`).set(bearer(pat)).expect(200)).body.data;
      expect(await eventually(async () => (await deliveries())[0]?.status === 'delivered', 10)).toBe(true);
      expect(await eventually(() => open.size === 0, 15)).toBe(true);
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
