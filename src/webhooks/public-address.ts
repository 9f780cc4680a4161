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

/** AWS's IPv6 instance metadata address, in unique-local space. */
const METADATA_IPV6 = ipaddr.parse('fd00:ec2::254');

/**
 * Link-local addresses (169.254.0.0/16, with the 169.254.169.254 metadata address; fe80::/10),
 * AWS's fd00:ec2::254, and IPv4 ones written as IPv6 (mapped, NAT64, IPv4-compatible): what
 * WEBHOOK_ALLOW_PRIVATE still refuses, since they reach the machine's cloud credentials, not a
 * service under development.
 */
export function isMetadataAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const embedsIpv4 = ['ipv4Mapped', 'rfc6052'].includes(v6.range()) || v6.parts.slice(0, 6).every((part) => part === 0);
    if (embedsIpv4) parsed = ipaddr.fromByteArray(v6.toByteArray().slice(12));
    else if (v6.match(METADATA_IPV6, 128)) return true;
  }
  return parsed.range() === 'linkLocal';
}
