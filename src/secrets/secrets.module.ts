import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BillingModule } from '../billing/billing.module';
import { keyringProvider } from './crypto/keyring.provider';
import { LinkReportRepository } from './link-report.repository';
import { LinksController } from './links.controller';
import { LinksService } from './links.service';
import { SecretPurger } from './secret-purger';
import { SecretRepository } from './secret.repository';
import { SecretsController } from './secrets.controller';
import { SecretsService } from './secrets.service';

@Module({
  imports: [AuthModule, BillingModule],
  controllers: [SecretsController, LinksController],
  providers: [keyringProvider, SecretRepository, LinkReportRepository, SecretsService, LinksService, SecretPurger],
  exports: [SecretsService],
})
export class SecretsModule {}
