import { Logger, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { FixedWindowStorage } from './fixed-window.storage';
import type { CounterStorage } from './marks';
import { RateLimiter } from './rate-limiter';

/**
 * The storage's own client, closed only once the HTTP server has drained: Nest destroys modules
 * before it closes the server, and a request still being read when SIGTERM came must still be
 * counted, not answered 503 by a client already gone.
 */
class RedisCounters extends ThrottlerStorageRedisService implements CounterStorage {
  override onModuleDestroy(): void {}

  async mark(key: string, ttlMs: number): Promise<void> {
    await this.redis.set(key, '1', 'PX', ttlMs);
  }

  async isMarked(key: string): Promise<boolean> {
    return (await this.redis.exists(key)) === 1;
  }

  onApplicationShutdown(): void {
    this.redis.disconnect(false);
  }
}

/** How long a count (or readiness's ping) waits for Redis: a count takes it well under a millisecond. */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * The counters in Redis. While Redis cannot be reached a count fails at once (no offline queue,
 * no retries), and while it is connected but does not answer (a hung server) within
 * REDIS_COMMAND_TIMEOUT_MS; so the request gets a 503 with Retry-After, as while the database is
 * down, rather than waiting for ever and then a 500; ioredis reconnects by itself. The client's
 * errors are logged once per outage, not as ioredis's unhandled-error traces.
 */
function redisCounters(url: string): RedisCounters {
  const storage = new RedisCounters(url, {
    keyPrefix: 'oncelink:rate:',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  });
  const logger = new Logger('RateLimit');
  let down = false;
  storage.redis.on('error', (error: Error) => {
    if (!down) logger.warn(`Redis unreachable, requests answer 503 until it is back: ${error.message}`);
    down = true;
  });
  storage.redis.on('ready', () => {
    if (down) logger.log('Redis reachable again');
    down = false;
  });
  return storage;
}

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      // Budgets are decided per request by RateLimiter; the module only provides the storage.
      useFactory: (config: AppConfig) => ({
        throttlers: [],
        // With rate limits off nothing counts, so Redis is not needed (nor waited for by readiness).
        storage: config.redisUrl && config.rateLimit.enabled ? redisCounters(config.redisUrl) : new FixedWindowStorage(),
      }),
    }),
  ],
  providers: [RateLimiter],
  exports: [RateLimiter],
})
export class RateLimitModule {}
