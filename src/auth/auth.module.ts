import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TeamsModule } from '../teams/teams.module';
import { AccessTokenRepository } from './access-token.repository';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';
import { ApiAuthGuard } from './auth.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';
import { PatStrategy } from './pat.strategy';
import { TokenAuthenticator } from './token-authenticator';
import { TokenService } from './token.service';
import { UserRepository } from './user.repository';

@Module({
  imports: [PassportModule, TeamsModule],
  controllers: [AuthController, AccountController],
  providers: [
    { provide: APP_GUARD, useClass: ApiAuthGuard },
    PatStrategy,
    TokenAuthenticator,
    AccessTokenRepository,
    UserRepository,
    PasswordHasher,
    TokenService,
    AuthService,
    AccountService,
  ],
  exports: [TokenService, PasswordHasher],
})
export class AuthModule {}
