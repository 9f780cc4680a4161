import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TeamsModule } from '../teams/teams.module';
import { AccessTokenRepository } from './access-token.repository';
import { ApiAuthGuard } from './auth.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';
import { PatStrategy } from './pat.strategy';
import { TokenAuthenticator } from './token-authenticator';
import { TokenService } from './token.service';
import { UserRepository } from './user.repository';

@Module({
  imports: [PassportModule, TeamsModule, RateLimitModule],
  controllers: [AuthController],
  providers: [
    { provide: APP_GUARD, useClass: ApiAuthGuard },
    PatStrategy,
    TokenAuthenticator,
    AccessTokenRepository,
    UserRepository,
    PasswordHasher,
    TokenService,
    AuthService,
  ],
  exports: [AuthService, TokenService, PasswordHasher],
})
export class AuthModule {}
