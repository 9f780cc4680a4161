import { Global, Module } from '@nestjs/common';
import { TokenRatesSource } from '../rate-limit/token-rates.source';
import { BillingService } from './billing.service';
import { StripeWebhookController } from './stripe-webhook.controller';
import { StripeWebhookService } from './stripe-webhook.service';
import { TeamPlansService } from './team-plans.service';

/**
 * What plans allow and how a plan changes (Stripe, the operator); every other module asks this
 * one. Global because the rate limiter behind the auth guard needs the plans' token rates.
 */
@Global()
@Module({
  controllers: [StripeWebhookController],
  providers: [BillingService, TeamPlansService, StripeWebhookService, { provide: TokenRatesSource, useExisting: BillingService }],
  exports: [BillingService, TeamPlansService, StripeWebhookService, TokenRatesSource],
})
export class BillingModule {}
