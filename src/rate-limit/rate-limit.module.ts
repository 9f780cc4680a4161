import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { FixedWindowStorage } from './fixed-window.storage';
import { RateLimiter } from './rate-limiter';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      // Budgets are decided per request by RateLimiter; the module only provides the storage.
      useFactory: (config: AppConfig) => ({
        throttlers: [],
        storage: config.redisUrl
          ? new ThrottlerStorageRedisService(config.redisUrl, { keyPrefix: 'oncelink:rate:' })
          : new FixedWindowStorage(),
      }),
    }),
  ],
  providers: [RateLimiter],
  exports: [RateLimiter],
})
export class RateLimitModule {}
