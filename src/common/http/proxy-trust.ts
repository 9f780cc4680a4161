import type { IncomingMessage } from 'node:http';
import { all, compile } from '@fastify/proxy-addr';
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
