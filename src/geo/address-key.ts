import ipaddr from 'ipaddr.js';

/**
 * The client a budget counts: IPv4 as is, IPv6 by its /64, since one host usually holds a whole /64.
 */
export function addressKey(ip: string): string {
  return networkKey(ip, 32, 4);
}

/**
 * The network an abuse report counts as one reporter: an IPv4 /24, an IPv6 /48, since one
 * subscriber is usually given a /56 or a /48 and could otherwise report from a few /64s of it.
 */
export function reporterKey(ip: string): string {
  return networkKey(ip, 24, 3);
}

function networkKey(ip: string, ipv4Prefix: 24 | 32, ipv6Groups: 3 | 4): string {
  // A zone (fe80::1%eth0) names the receiving interface, not the client: it would make every
  // spelling of one address a budget of its own.
  const bare = ip.replace(/%.*$/s, '');
  if (!ipaddr.isValid(bare)) return ip;
  const address = ipaddr.process(bare);
  if (address.kind() === 'ipv4') {
    if (ipv4Prefix === 32) return address.toString();
    return `${(address as ipaddr.IPv4).octets.slice(0, 3).join('.')}.0/24`;
  }
  const parts = (address as ipaddr.IPv6).parts.slice(0, ipv6Groups).map((part) => part.toString(16));
  return `${parts.join(':')}::/${ipv6Groups * 16}`;
}
