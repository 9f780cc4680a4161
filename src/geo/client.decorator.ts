import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { ClientInfoPipe } from './client-info.pipe';

export interface ClientInfo {
  /** The socket's address, or the forwarded one when TRUST_PROXY trusts the peer (Fastify decides). */
  ip: string;
  /** ISO 3166-1 alpha-2, from the country database or a trusted edge's GEO_COUNTRY_HEADER; null when unknown. */
  country: string | null;
  /** True once the client has hung up: queued work for it (an argon2 hash) can be dropped. */
  gone: () => boolean;
  /** The connection, which a download watches for progress. */
  socket: Socket;
  /** The request's id, as its access log line and X-Request-Id show it: a log line about it names it too. */
  requestId: string;
}

const ClientRequest = createParamDecorator((_data: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<FastifyRequest>());

/** Who is on the other end of the request: their address and country. */
export const Client = () => ClientRequest(ClientInfoPipe);
