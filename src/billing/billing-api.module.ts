import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module';
import { TeamsModule } from '../teams/teams.module';
import { BillingController } from './billing.controller';
import { BillingOverview } from './billing-overview';
import { BillingModule } from './billing.module';
import { StripeWebhookService } from './stripe-webhook.service';

/** The billing routes; separate from BillingModule, which secrets and teams consult. */
@Module({
  imports: [BillingModule, SecretsModule, TeamsModule],
  controllers: [BillingController],
  providers: [BillingOverview, StripeWebhookService],
})
export class BillingApiModule {}
