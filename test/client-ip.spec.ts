import type { IncomingMessage } from 'node:http';
import { clientAddress, clientIp, proxyTrust } from '../src/common/http/proxy-trust';

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

describe('clientAddress under a TRUST_PROXY list', () => {
  const from = (forwarded: string, peer = '10.0.0.5') =>
    clientAddress(
      { headers: { 'x-forwarded-for': forwarded }, socket: { remoteAddress: peer } } as unknown as IncomingMessage,
      proxyTrust('10.0.0.0/8,fd00::/8'),
    );

  it.each([
    ['a trusted proxy written with a port', '8.8.8.8, 10.0.0.4:443'],
    ['a trusted IPv6 proxy in brackets with a port', '8.8.8.8, [fd00::4]:443'],
    ['a trusted IPv6 proxy in brackets', '8.8.8.8, [fd00::4]'],
    ['two trusted proxies, both with ports', '8.8.8.8, 10.0.0.3:8080, 10.0.0.4:443'],
  ])('walks past %s to the client', (_case, forwarded) => {
    expect(from(forwarded)).toBe('8.8.8.8');
  });

  it('stops at the first hop it does not trust, whatever its spelling', () => {
    expect(clientIp({ ip: from('8.8.8.8, 9.9.9.9:443, 10.0.0.4:443'), socket: { remoteAddress: '10.0.0.5' } })).toBe('9.9.9.9');
    expect(from('8.8.8.8, 10.0.0.4:443', '203.0.113.9')).toBe('203.0.113.9');
  });
});
