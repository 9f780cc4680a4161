import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clientIp, proxyTrust } from '../common/http/proxy-trust';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { ClientInfo } from './client.decorator';
import { CountryLookup } from './country-lookup';

const COUNTRY = /^[A-Z]{2}$/;

/** What the pipe reads of a request: Fastify's, or one answered ahead of Fastify (common/http/direct-routes). */
type AddressedRequest = Pick<FastifyRequest, 'ip' | 'headers' | 'socket'> & { raw: Pick<FastifyRequest['raw'], 'socket'> };

/**
 * Turns the request into ClientInfo. The country is the edge's header only when the operator
 * named one (GEO_COUNTRY_HEADER) and the peer is a trusted proxy; otherwise it is looked up
 * from the client address. A client's own country headers are never read.
 */
@Injectable()
export class ClientInfoPipe implements PipeTransform<AddressedRequest, ClientInfo> {
  private readonly header?: string;
  private readonly trustsPeer: (peer: string) => boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly countries: CountryLookup,
  ) {
    this.header = config.geo.countryHeader;
    const trust = proxyTrust(config.trustProxy);
    // The peer itself is hop 0.
    this.trustsPeer = (peer) => trust !== false && trust(peer, 0);
  }

  transform(request: AddressedRequest): ClientInfo {
    const socket = request.raw.socket;
    const ip = clientIp(request);
    return {
      ip,
      country: this.edgeCountry(request) ?? this.countries.find(ip),
      gone: () => socket.destroyed,
    };
  }

  private edgeCountry(request: AddressedRequest): string | null {
    if (!this.header || !this.trustsPeer(request.socket.remoteAddress ?? '')) return null;
    const value = request.headers[this.header];
    const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
    // Cloudflare's XX (unknown) and T1 (Tor) are not countries.
    return COUNTRY.test(code) && code !== 'XX' ? code : null;
  }
}
