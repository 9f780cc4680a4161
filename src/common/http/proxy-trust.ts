import type { IncomingMessage } from 'node:http';
import { all, compile } from '@fastify/proxy-addr';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { TrustProxy } from '../../config/app-config';

/** Whether the address `hop` proxies away from the server may say who the client is. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as one function, with Fastify's own rules for each form (Fastify takes this
 * function as its `trustProxy`, and so do the routes answered ahead of it); false trusts nobody.
 */
export function proxyTrust(trustProxy: TrustProxy): ProxyTrust | false {
  if (trustProxy === false || trustProxy === 0) return false;
  if (trustProxy === true) return () => true;
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy;
  const trusted = compile(trustProxy.split(',').map((entry) => entry.trim()));
  // A proxy written with a port or in brackets by the hop after it (`10.0.0.4:443`, as Azure's
  // gateways write X-Forwarded-For) is the same proxy: the walk goes on past it to the client.
  return (address, hop) => {
    if (trusted(address, hop)) return true;
    const bare = bareAddress(address);
    return bare !== undefined && trusted(bare, hop);
  };
}

/** The client's address as Fastify's `request.ip` gives it under the same trust. */
export function clientAddress(raw: IncomingMessage, trust: ProxyTrust | false): string {
  if (!trust) return raw.socket.remoteAddress ?? '';
  const addresses = all(raw, trust);
  return addresses[addresses.length - 1];
}

/** `a.b.c.d:port` and `[v6]:port` (as Azure's gateways and IIS write X-Forwarded-For), `[v6]`. */
const WITH_PORT = /^(?:\[([^\]]+)\]|(\d{1,3}(?:\.\d{1,3}){3}))(?::\d{1,5})?$/;

/**
 * The client's address for everything that counts or records it (rate limits, audit, country):
 * the one the trusted proxies named (`request.ip`), or the peer's when that is not an address.
 * A forwarded header is the client's to write when a proxy passes it on unchanged, so one client
 * is written one way whatever the spelling: without a port a proxy added or a zone (`%eth0`,
 * an interface), an IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`, `::ffff:509:1`,
 * as a dual-stack socket sees an IPv4 client) as itself, IPv6 compressed in lower case.
 */
export function clientIp(request: { ip: string; socket: { remoteAddress?: string } }): string {
  const peer = request.socket.remoteAddress ?? '';
  // Node writes the socket's own address canonically, but for a dual-stack socket's IPv4 client
  // and a link-local one's zone: only those, and forwarded addresses, take the work below.
  if (request.ip === peer && !peer.startsWith('::ffff:') && !peer.includes('%')) return peer;
  return canonical(request.ip) ?? canonical(peer) ?? peer;
}

/** The address in `a.b.c.d:port`, `[v6]:port` or `[v6]`; undefined for anything else. */
function bareAddress(text: string): string | undefined {
  const bare = WITH_PORT.exec(text);
  return bare ? (bare[1] ?? bare[2]) : undefined;
}

/** `text` as RFC 5952 writes it (at most 39 characters: it fits audit_events.ip); undefined for no address. */
function canonical(text: string): string | undefined {
  let address: string | undefined = text;
  if (!isIP(address)) address = bareAddress(address);
  if (address === undefined) return undefined;
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  // Node's test first: ipaddr.js also takes forms no proxy writes (`0x7f.1`, octal `010.0.0.1`).
  return isIP(address) ? ipaddr.process(address).toString() : undefined;
}
