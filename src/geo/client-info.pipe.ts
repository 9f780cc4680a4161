import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clientIp, proxyTrust } from '../common/http/proxy-trust';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { ClientInfo } from './client.decorator';
import { isCountryCode } from './country-code';
import { CountryLookup } from './country-lookup';

/** What the pipe reads of a request: Fastify's, or one answered ahead of Fastify (common/http/direct-routes). */
type AddressedRequest = Pick<FastifyRequest, 'id' | 'ip' | 'headers' | 'socket'> & { raw: Pick<FastifyRequest['raw'], 'socket'> };

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
      socket,
      requestId: request.id,
    };
  }

  private edgeCountry(request: AddressedRequest): string | null {
    if (!this.header || !this.trustsPeer(request.socket.remoteAddress ?? '')) return null;
    const value = request.headers[this.header];
    const code = typeof value === 'string' ? value.trim() : '';
    // Only a code a secret could allow: Cloudflare's XX (unknown) and T1 (Tor), or EU, AP, A1,
    // which other edges send for a region or a proxy, are not countries, and the address decides.
    return isCountryCode(code) ? code.toUpperCase() : null;
  }
}
