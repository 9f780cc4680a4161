import ipaddr from 'ipaddr.js';

/**
 * The client a budget or an abuse report counts: IPv4 as is (or by its /24 with `ipv4Prefix`), IPv6 by its /64,
 * since one host usually holds a whole /64.
 */
export function addressKey(ip: string, ipv4Prefix: 24 | 32 = 32): string {
  // A zone (fe80::1%eth0) names the receiving interface, not the client: it would make every
  // spelling of one address a budget of its own.
  const bare = ip.replace(/%.*$/s, '');
  if (!ipaddr.isValid(bare)) return ip;
  const address = ipaddr.process(bare);
  if (address.kind() === 'ipv4') {
    if (ipv4Prefix === 32) return address.toString();
    return `${(address as ipaddr.IPv4).octets.slice(0, 3).join('.')}.0/24`;
  }
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}
