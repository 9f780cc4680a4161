import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export interface ClientInfo {
  /** The socket's address, or the forwarded one when TRUST_PROXY trusts the peer (Fastify decides). */
  ip: string;
  /** ISO 3166-1 alpha-2 country set by a trusted edge proxy (CF-IPCountry, X-Country-Code), if any. */
  country: string | null;
}

const COUNTRY = /^[A-Z]{2}$/;

function countryOf(request: FastifyRequest): string | null {
  // Only an edge we trust may tell us the country; from anyone else the header is just a claim.
  if (request.ips === undefined || request.ips.length < 2) return null;
  const header = request.headers['cf-ipcountry'] ?? request.headers['x-country-code'];
  const value = typeof header === 'string' ? header.toUpperCase() : '';
  return COUNTRY.test(value) && value !== 'XX' ? value : null;
}

export const Client = createParamDecorator((_data: unknown, ctx: ExecutionContext): ClientInfo => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  return { ip: request.ip, country: countryOf(request) };
});
