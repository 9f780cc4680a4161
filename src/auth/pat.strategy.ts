import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import type { TokenAuth } from './auth-context';
import { TokenAuthenticator } from './token-authenticator';

@Injectable()
export class PatStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly authenticator: TokenAuthenticator) {
    super();
  }

  validate(token: string): Promise<TokenAuth | null> {
    return this.authenticator.authenticate(token);
  }
}
