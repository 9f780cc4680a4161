import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { TokenAuth } from './auth-context';
import { TokenAuthenticator } from './token-authenticator';

const BEARER = /^Bearer ([^\s]+)$/i;

/**
 * Only `Authorization: Bearer <token>` counts. (passport-http-bearer would also take a token
 * from `?access_token=` or the body, where it ends up in logs, caches and browser history.)
 */
@Injectable()
export class PatStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly authenticator: TokenAuthenticator) {
    super();
  }

  async validate(request: FastifyRequest): Promise<TokenAuth | null> {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    return token ? this.authenticator.authenticate(token) : null;
  }
}
