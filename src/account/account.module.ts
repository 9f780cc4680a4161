import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BillingModule } from '../billing/billing.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { SecretsModule } from '../secrets/secrets.module';
import { TeamsModule } from '../teams/teams.module';
import { AccountDeletionService } from './account-deletion.service';
import { AccountSettingsService } from './account-settings.service';
import { AccountTokensService } from './account-tokens.service';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';
import { PasswordConfirmation } from './password-confirmation';
import { RegistrationController } from './registration.controller';
import { RegistrationService } from './registration.service';
import { ServiceAccountDeletionController } from './service-account-deletion.controller';
import { ServiceAccountDeletionService } from './service-account-deletion.service';
import { TeamDeletionController } from './team-deletion.controller';
import { TeamDeletionService } from './team-deletion.service';
import { TokensController } from './tokens.controller';
import { UsageReader } from './usage.reader';

/**
 * The caller's own account: registration, tokens, GET, PATCH and DELETE /account, GET /billing,
 * the deletion of a team, which takes its secrets and trail with it, and of a service account,
 * which its secrets forget as their creator. It is where auth, teams, secrets and billing meet,
 * so that none of them has to import the others.
 */
@Module({
  imports: [AuthModule, TeamsModule, SecretsModule, BillingModule, RateLimitModule],
  controllers: [RegistrationController, TokensController, AccountController, TeamDeletionController, ServiceAccountDeletionController],
  providers: [
    RegistrationService,
    AccountTokensService,
    AccountService,
    AccountSettingsService,
    AccountDeletionService,
    PasswordConfirmation,
    UsageReader,
    TeamDeletionService,
    ServiceAccountDeletionService,
  ],
})
export class AccountModule {}
