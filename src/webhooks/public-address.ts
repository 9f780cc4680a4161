import ipaddr from 'ipaddr.js';

/**
 * Only ordinary public unicast addresses: loopback, private, link-local (and with it the
 * 169.254.169.254 metadata address), CGNAT, unique-local, multicast, unspecified, reserved and
 * the IPv6 forms that embed an IPv4 address (mapped, 6to4, NAT64) are all something else to
 * ipaddr.js; and the deprecated IPv4-compatible form (::/96, `::127.0.0.1`), which ipaddr.js calls
 * unicast. The URL guard judges a webhook's host by it when the URL is given, and the delivery's
 * lookup (WebhookHostResolver) the addresses it is about to connect to: one rule for both.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return false;
  return parsed.range() === 'unicast';
}
