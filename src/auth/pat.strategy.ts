import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { ApiError } from '../common/errors/api-error';
import type { TokenAuth } from './auth-context';
import { TokenAuthenticator } from './token-authenticator';

// RFC 6750 and 9110 allow one or more spaces after the scheme (1*SP); a tab is not one.
const BEARER = /^Bearer +([^\s]+)$/i;
const AUTHORIZATION = 'authorization';

/** `name` is `Authorization` in any case, compared without making a lowercased copy. */
function isAuthorization(name: string): boolean {
  if (name.length !== AUTHORIZATION.length) return false;
  // Every letter of the name: OR-ing in 0x20 lowercases an ASCII letter and matches nothing else to one.
  for (let i = 0; i < AUTHORIZATION.length; i++) if ((name.charCodeAt(i) | 0x20) !== AUTHORIZATION.charCodeAt(i)) return false;
  return true;
}

/**
 * Refuses a request with several `Authorization` headers: Node keeps the first, so it would act
 * as whichever token came first, silently. One pass over the headers as sent, names compared by
 * length first; every request with a token runs it, on the direct routes too.
 */
export function assertOneAuthorization(rawHeaders: string[]): void {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (isAuthorization(rawHeaders[i]) && ++seen > 1) throw new ApiError(400, 'Send one Authorization header, not several.');
  }
}

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
