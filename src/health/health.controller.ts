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
import { ReadinessLog } from './readiness-log';
import { ShutdownNotice } from './shutdown-notice';

/** How long readiness waits for the database: a connection that hangs (a frozen peer) is a 503, not an answer never sent. */
const DATABASE_CHECK_MS = 2_000;

@ApiTags('health')
@RateLimit('none')
@Controller()
@Public()
export class HealthController {
  private probe?: Promise<unknown>;
  private readonly readiness = new ReadinessLog();

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
    const [reason, detail] = await this.notReadyBecause();
    if (reason) {
      this.readiness.notReady(reason, detail);
      throw ApiError.unavailable(reason, { status: 'unavailable' });
    }
    this.readiness.ready();
    return { status: 'ok' };
  }

  /** What keeps the instance from taking requests (the 503's message, and for the log what lay behind it), or nothing. */
  private async notReadyBecause(): Promise<[reason?: string, detail?: string]> {
    if (this.shutdown.given) return ['Shutting down.'];
    if (diskNearlyFull()) return ['Disk nearly full.'];
    try {
      // One probe at a time: behind a hung database each would hold a pool connection.
      this.probe ??= this.db.query('SELECT 1').finally(() => (this.probe = undefined));
      await within(this.probe, DATABASE_CHECK_MS, () => {
        throw new Error(`no answer within ${DATABASE_CHECK_MS / 1000} s`);
      });
    } catch (error) {
      return ['Database unavailable.', (error as Error).message];
    }
    const redis = await this.limiter.countersUnreachable();
    return redis === undefined ? [] : ['Redis unavailable.', redis];
  }
}
