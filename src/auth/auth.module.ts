import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { AccessTokenRepository } from './access-token.repository';
import { ApiAuthGuard } from './auth.guard';
import { PasswordHasher } from './password-hasher';
import { PatStrategy } from './pat.strategy';
import { TokenAuthenticator } from './token-authenticator';
import { TokenService } from './token.service';
import { UserRepository } from './user.repository';
import { UsersService } from './users.service';

/** Users, tokens and the global guard. It imports no feature module; the routes that combine it with teams live in account/. */
@Module({
  imports: [PassportModule, RateLimitModule],
  providers: [
    ApiAuthGuard,
    // One instance: the direct routes (common/http/direct-routes) run this same guard.
    { provide: APP_GUARD, useExisting: ApiAuthGuard },
    PatStrategy,
    TokenAuthenticator,
    AccessTokenRepository,
    UserRepository,
    PasswordHasher,
    TokenService,
    UsersService,
  ],
  exports: [UsersService, TokenService, PasswordHasher],
})
export class AuthModule {}
