import type { IncomingMessage } from 'node:http';
import { all, compile } from '@fastify/proxy-addr';
import { isIP } from 'node:net';
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
  return compile(trustProxy.split(',').map((entry) => entry.trim()));
}

/** The client's address as Fastify's `request.ip` gives it under the same trust. */
export function clientAddress(raw: IncomingMessage, trust: ProxyTrust | false): string {
  if (!trust) return raw.socket.remoteAddress ?? '';
  const addresses = all(raw, trust);
  return addresses[addresses.length - 1];
}

/** As long as an address may be where it is kept (audit_events.ip; INET6_ADDRSTRLEN). */
const MAX_ADDRESS_LENGTH = 45;

/** `a.b.c.d:port` and `[v6]:port` (as Azure's gateways and IIS write X-Forwarded-For), `[v6]`. */
const WITH_PORT = /^(?:\[([^\]]+)\]|(\d{1,3}(?:\.\d{1,3}){3}))(?::\d{1,5})?$/;
/** `::ffff:a.b.c.d`, in either case (a forwarded header may write `::FFFF:`). */
const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The client's address for everything that counts or records it (rate limits, audit, country):
 * the one the trusted proxies named (`request.ip`), without a port a proxy added, or the peer's
 * when that is not an address that fits. A forwarded header is the client's to write when a
 * proxy passes it on unchanged. An IPv4 address as a dual-stack socket maps it (`::ffff:a.b.c.d`)
 * is written as itself, so the audit trail shows one client one way.
 */
export function clientIp(request: { ip: string; socket: { remoteAddress?: string } }): string {
  let named = request.ip;
  if (!isIP(named)) {
    const bare = WITH_PORT.exec(named);
    named = bare ? (bare[1] ?? bare[2]) : '';
  }
  const mapped = MAPPED_IPV4.exec(named);
  if (mapped && isIP(mapped[1]) === 4) named = mapped[1];
  return isIP(named) && named.length <= MAX_ADDRESS_LENGTH ? named : (request.socket.remoteAddress ?? '');
}
