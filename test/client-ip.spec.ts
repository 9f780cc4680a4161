import { clientIp } from '../src/common/http/proxy-trust';

/** The peer's own spellings, which a test over 127.0.0.1 never sees (forwarded ones: links-behind-proxy.e2e-spec.ts). */
describe('clientIp with the socket’s own address', () => {
  const fromPeer = (peer: string, ip = peer) => clientIp({ ip, socket: { remoteAddress: peer } });

  it.each([
    ['an IPv4 peer', '203.0.113.7', '203.0.113.7'],
    ['an IPv6 peer', '2001:db8::7', '2001:db8::7'],
    ['an IPv4 peer of a dual-stack socket', '::ffff:203.0.113.7', '203.0.113.7'],
    ['a link-local peer with the zone of its interface', 'fe80::7%eth0', 'fe80::7'],
  ])('writes %s (%s) as %s', (_case, peer, written) => {
    expect(fromPeer(peer)).toBe(written);
  });

  it('falls back to the peer, written the same way, when what a proxy named is no address', () => {
    expect(fromPeer('::ffff:10.0.0.2', 'unknown')).toBe('10.0.0.2');
    expect(fromPeer('', '')).toBe('');
  });
});
