import { setTimeout as sleep } from 'node:timers/promises';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountModule } from './account/account.module';
import { AuditModule } from './audit/audit.module';
import { AuditRetentionModule } from './audit/audit-retention.module';
import { BillingModule } from './billing/billing.module';
import { AuthModule } from './auth/auth.module';
import { DatabaseModule } from './common/database/database.module';
import { migrateUnderLock } from './common/database/migrate';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { typeormOptions } from './typeorm-options';
import type { ResolvedConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CryptoModule } from './crypto/crypto.module';
import { GeoModule } from './geo/geo.module';
import { HealthController } from './health/health.controller';
import { ShutdownNotice } from './health/shutdown-notice';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { SecretsModule } from './secrets/secrets.module';
import { ShareModule } from './share/share.module';
import { TeamsModule } from './teams/teams.module';
import { WebhooksModule } from './webhooks/webhooks.module';

const CONNECT_ATTEMPTS = 3;
const CONNECT_RETRY_DELAY_MS = 1_000;

/** The data source connected, tried CONNECT_ATTEMPTS times (a database still starting); the last failure is the start's. */
async function initialized(dataSource: DataSource): Promise<DataSource> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.initialize();
    } catch (error) {
      if (attempt === CONNECT_ATTEMPTS) throw error;
      await sleep(CONNECT_RETRY_DELAY_MS);
    }
  }
}

@Module({})
export class AppModule {
  /** `config.databaseUrl` must be set: main.ts starts the embedded database first when it is not. */
  static forRoot(config: ResolvedConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...typeormOptions(config.databaseUrl, config.databasePoolSize, config.databaseQueryTimeoutMs, config.embeddedDatabase),
            // TypeOrmModule logs each of its retries at error with a stack: a failed start would
            // say its cause four times before main.ts's one line. initialized() retries quietly.
            toRetry: () => false,
          }),
          dataSourceFactory: async (options) => migrateUnderLock(await initialized(new DataSource(options!))),
        }),
        ScheduleModule.forRoot(),
        DatabaseModule,
        CryptoModule,
        AuditModule,
        AuditRetentionModule,
        GeoModule,
        AuthModule,
        TeamsModule,
        WebhooksModule,
        SecretsModule,
        AccountModule,
        BillingModule,
        ShareModule,
        // For the readiness check's view of the rate-limit counters.
        RateLimitModule,
      ],
      controllers: [HealthController],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }, ShutdownNotice],
    };
  }
}
