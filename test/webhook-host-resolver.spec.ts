import type { LookupAddress } from 'node:dns';
import { isPublicAddress } from '../src/webhooks/public-address';
import { InwardAddressError, WebhookHostResolver } from '../src/webhooks/webhook-host-resolver';

/** What the delivery agents' lookup answers for `host`, as `net.connect` asks (all addresses). */
function lookup(resolver: WebhookHostResolver, host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    resolver.lookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses as LookupAddress[]))),
  );
}

describe('the webhook deliveries’ lookup', () => {
  const deliveries = new WebhookHostResolver(1_000, isPublicAddress);

  it.each(['::7f00:1', '::127.0.0.1', '127.0.0.1', '::ffff:127.0.0.1', '169.254.169.254', 'localhost'])(
    'refuses %s by the URL guard’s rule, before the agent’s own (which lets ::/96 through)',
    async (host) => {
      await expect(lookup(deliveries, host)).rejects.toBeInstanceOf(InwardAddressError);
    },
  );

  it('answers a public address as itself', async () => {
    expect(await lookup(deliveries, '93.184.216.34')).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it('admits any address where private ones are allowed (WEBHOOK_ALLOW_PRIVATE)', async () => {
    expect(await lookup(new WebhookHostResolver(1_000), '::7f00:1')).toEqual([{ address: '::7f00:1', family: 6 }]);
  });
});
