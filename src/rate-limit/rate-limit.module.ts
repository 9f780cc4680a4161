import { Logger, Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import { ReplyError, type RedisOptions } from 'ioredis';
import { AppConfig, ConfigError } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { FixedWindowStorage } from './fixed-window.storage';
import type { CounterStorage } from './marks';
import { RateLimiter } from './rate-limiter';

/** How long a count (or readiness's ping) waits for Redis: a count takes it well under a millisecond. */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * A window's count, as the storage's own script keeps it (RateLimiter never has it block), unless
 * Redis's clock is past ARGV[2] (epoch ms, sent time + REDIS_COMMAND_TIMEOUT_MS): a Redis that hung
 * runs the commands sent to it once it wakes, and a count the instance stopped waiting for was
 * answered 503, so it must spend nothing. (So the instances' clocks and Redis's must agree to well
 * within that timeout, as NTP keeps them.)
 */
const COUNT_UNLESS_LATE = `
local time = redis.call('TIME')
if tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) > tonumber(ARGV[2]) then return false end
local totalHits = redis.call('INCR', KEYS[1])
local timeToExpire = redis.call('PTTL', KEYS[1])
if timeToExpire <= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  timeToExpire = tonumber(ARGV[1])
end
return { totalHits, timeToExpire }
`;

type CountingRedis = Redis & {
  countUnlessLate(key: string, ttlMs: number, deadline: number): Promise<[totalHits: number, timeToExpireMs: number] | null>;
};

/**
 * The storage's own client, closed only once the HTTP server has drained: Nest destroys modules
 * before it closes the server, and a request still being read when SIGTERM came must still be
 * counted, not answered 503 by a client already gone.
 */
class RedisCounters extends ThrottlerStorageRedisService implements CounterStorage {
  constructor(url: string, options: RedisOptions) {
    super(url, options);
    this.redis.defineCommand('countUnlessLate', { numberOfKeys: 1, lua: COUNT_UNLESS_LATE });
  }

  override onModuleDestroy(): void {}

  /** The same key and window as the storage's own increment, in one round trip (EVALSHA). */
  override async increment(
    key: string,
    ttl: number,
    _limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): ReturnType<ThrottlerStorage['increment']> {
    const deadline = Date.now() + REDIS_COMMAND_TIMEOUT_MS;
    const counted = await (this.redis as CountingRedis).countUnlessLate(`{${key}:${throttlerName}}:hits`, ttl, deadline);
    if (!counted) throw new Error('Redis ran the count after its deadline, so counted nothing');
    const [totalHits, timeToExpireMs] = counted;
    return { totalHits, timeToExpire: Math.ceil(timeToExpireMs / 1000), isBlocked: false, timeToBlockExpire: 0 };
  }

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

/** How the client's first connection went: undefined once it is ready, else its first error. */
function firstConnection(redis: RedisCounters['redis']): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const settle = (error?: Error) => {
      redis.off('ready', settle);
      redis.off('error', settle);
      resolve(error);
    };
    redis.once('ready', settle);
    redis.once('error', settle);
  });
}

/**
 * The counters in Redis. While Redis cannot be reached a count fails at once (no offline queue,
 * no retries), and while it is connected but does not answer (a hung server) within
 * REDIS_COMMAND_TIMEOUT_MS; so the request gets a 503 with Retry-After, as while the database is
 * down, rather than waiting for ever and then a 500; ioredis reconnects by itself. The client's
 * errors are logged once per outage, not as ioredis's unhandled-error traces. Redis refusing the
 * first connection (a wrong password or user, a database number past its `databases`) is the
 * configuration: the start stops (exit 78) rather than answering 503 for ever; a Redis not
 * reachable yet is an outage, and the server starts.
 */
async function redisCounters(url: string): Promise<RedisCounters> {
  const storage = new RedisCounters(url, {
    keyPrefix: 'oncelink:rate:',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  });
  const logger = new Logger('RateLimit');
  let down = false;
  // Listened to from the start: ioredis prints an error nobody listens to as a stack trace, and a
  // refused first connection is followed by more (its ready check on the closed stream) before
  // the client is disconnected. Those until the first connection is judged are that judgement's.
  let judged = false;
  const unreachable = (error: Error) => {
    if (!judged) return;
    if (!down) logger.warn(`Redis unreachable, requests answer 503 until it is back: ${error.message}`);
    down = true;
  };
  storage.redis.on('error', unreachable);
  const first = await firstConnection(storage.redis);
  if (first instanceof ReplyError) {
    storage.redis.disconnect(false);
    throw new ConfigError(`REDIS_URL was refused by Redis: ${(first as Error).message}`);
  }
  judged = true;
  if (first) unreachable(first);
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
      useFactory: async (config: AppConfig) => ({
        throttlers: [],
        // With rate limits off nothing counts, so Redis is not needed (nor waited for by readiness).
        storage: config.redisUrl && config.rateLimit.enabled ? await redisCounters(config.redisUrl) : new FixedWindowStorage(),
      }),
    }),
  ],
  providers: [RateLimiter],
  exports: [RateLimiter],
})
export class RateLimitModule {}
