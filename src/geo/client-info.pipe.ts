import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import { compile } from '@fastify/proxy-addr';
import type { FastifyRequest } from 'fastify';
import type { AppConfig, TrustProxy } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { ClientInfo } from './client.decorator';
import { CountryLookup } from './country-lookup';

const COUNTRY = /^[A-Z]{2}$/;

/** Whether TRUST_PROXY trusts the peer itself (hop 0), with Fastify's own rules. */
function peerTrust(trustProxy: TrustProxy): (peer: string) => boolean {
  if (typeof trustProxy === 'boolean') return () => trustProxy;
  if (typeof trustProxy === 'number') return () => trustProxy > 0;
  const trusts = compile(trustProxy.split(','));
  return (peer) => trusts(peer, 0);
}

/**
 * Turns the request into ClientInfo. The country is the edge's header only when the operator
 * named one (GEO_COUNTRY_HEADER) and the peer is a trusted proxy; otherwise it is looked up
 * from the client address. A client's own country headers are never read.
 */
@Injectable()
export class ClientInfoPipe implements PipeTransform<FastifyRequest, ClientInfo> {
  private readonly header?: string;
  private readonly trustsPeer: (peer: string) => boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly countries: CountryLookup,
  ) {
    this.header = config.geo.countryHeader;
    this.trustsPeer = peerTrust(config.trustProxy);
  }

  transform(request: FastifyRequest): ClientInfo {
    const socket = request.raw.socket;
    return {
      ip: request.ip,
      country: this.edgeCountry(request) ?? this.countries.find(request.ip),
      gone: () => socket.destroyed,
    };
  }

  private edgeCountry(request: FastifyRequest): string | null {
    if (!this.header || !this.trustsPeer(request.socket.remoteAddress ?? '')) return null;
    const value = request.headers[this.header];
    const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
    // Cloudflare's XX (unknown) and T1 (Tor) are not countries.
    return COUNTRY.test(code) && code !== 'XX' ? code : null;
  }
}
