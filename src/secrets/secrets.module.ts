import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BillingModule } from '../billing/billing.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { LinkReportRepository } from './link-report.repository';
import { LinksController } from './links.controller';
import { LinksService } from './links.service';
import { MissingKeys } from './missing-keys';
import { SecretPurger } from './secret-purger';
import { SecretRepository } from './secret.repository';
import { SecretsController } from './secrets.controller';
import { SecretsService } from './secrets.service';
import { DownloadEnds } from './files/download-ends';
import { FileSecretsService } from './files/file-secrets.service';
import { FileStore } from './files/file-store';
import { PgFileStore } from './files/pg-file-store';
import { IdempotentCreates } from './idempotency/idempotent-creates';

@Module({
  imports: [AuthModule, BillingModule, WebhooksModule],
  controllers: [SecretsController, LinksController],
  providers: [
    { provide: FileStore, useClass: PgFileStore },
    FileSecretsService,
    DownloadEnds,
    SecretRepository,
    LinkReportRepository,
    SecretsService,
    IdempotentCreates,
    LinksService,
    SecretPurger,
    MissingKeys,
  ],
  exports: [SecretsService],
})
export class SecretsModule {}
