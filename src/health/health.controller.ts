import { Controller, Get } from '@nestjs/common';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { within } from '../common/concurrency/within';
import { diskNearlyFull } from '../common/database/disk-space';
import { ApiError } from '../common/errors/api-error';
import { HealthResponse, UnavailableResponse } from './health.response';
import { ShutdownNotice } from './shutdown-notice';

/** How long readiness waits for the database: a connection that hangs (a frozen peer) is a 503, not an answer never sent. */
const DATABASE_CHECK_MS = 2_000;

@ApiTags('health')
@RateLimit('none')
@Controller()
@Public()
export class HealthController {
  private probe?: Promise<unknown>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly limiter: RateLimiter,
    private readonly shutdown: ShutdownNotice,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @ApiOkResponse({ description: 'The process answers.', type: HealthResponse })
  live() {
    return { status: 'ok' };
  }

  /** Readiness: the database answers too, and the rate-limit counters (Redis, when shared) can be reached. */
  @Get('readyz')
  @ApiOkResponse({ description: 'The database answers, and Redis does when `REDIS_URL` is set.', type: HealthResponse })
  @ApiServiceUnavailableResponse({
    description: `The instance is shutting down, the database did not answer within ${DATABASE_CHECK_MS / 1000} s, the embedded database's disk is nearly full, or Redis (with \`REDIS_URL\`) did not answer.`,
    type: UnavailableResponse,
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } },
  })
  async ready() {
    if (this.shutdown.given) throw ApiError.unavailable('Shutting down.', { status: 'unavailable' });
    if (diskNearlyFull()) throw ApiError.unavailable('Disk nearly full.', { status: 'unavailable' });
    try {
      // One probe at a time: behind a hung database each would hold a pool connection.
      this.probe ??= this.db.query('SELECT 1').finally(() => (this.probe = undefined));
      await within(this.probe, DATABASE_CHECK_MS, () => {
        throw new Error('timed out');
      });
    } catch {
      throw ApiError.unavailable('Database unavailable.', { status: 'unavailable' });
    }
    if (!(await this.limiter.countersReachable())) {
      throw ApiError.unavailable('Redis unavailable.', { status: 'unavailable' });
    }
    return { status: 'ok' };
  }
}
