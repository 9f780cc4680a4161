import { Module } from '@nestjs/common';
import { BillingService } from './billing.service';

/** What plans allow and how a plan changes; every other module asks this one. */
@Module({
  providers: [BillingService],
  exports: [BillingService],
})
export class BillingModule {}
