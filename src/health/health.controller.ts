import { Controller, Get } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { ApiError } from '../common/errors/api-error';

/** How long readiness waits for the database: a connection that hangs (a frozen peer) is a 503, not an answer never sent. */
const DATABASE_CHECK_MS = 2_000;

async function answersWithin<T>(work: Promise<T>, ms: number): Promise<T> {
  const timeout = new AbortController();
  try {
    const late = sleep(ms, undefined, { signal: timeout.signal }).then(
      () => Promise.reject(new Error('timed out')),
      // Aborted: the work answered first.
      () => undefined as never,
    );
    return await Promise.race([work, late]);
  } finally {
    timeout.abort();
  }
}

@ApiExcludeController()
@RateLimit('none')
@Controller()
@Public()
export class HealthController {
  private probe?: Promise<unknown>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly limiter: RateLimiter,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  live() {
    return { status: 'ok' };
  }

  /** Readiness: the database answers too, and the rate-limit counters (Redis, when shared) can be reached. */
  @Get('readyz')
  async ready() {
    try {
      // One probe at a time: behind a hung database each would hold a pool connection.
      this.probe ??= this.db.query('SELECT 1').finally(() => (this.probe = undefined));
      await answersWithin(this.probe, DATABASE_CHECK_MS);
    } catch {
      throw new ApiError(503, 'Database unavailable.', { status: 'unavailable' }, { 'Retry-After': '5' });
    }
    if (!this.limiter.countersReachable()) {
      throw new ApiError(503, 'Redis unavailable.', { status: 'unavailable' }, { 'Retry-After': '5' });
    }
    return { status: 'ok' };
  }
}
