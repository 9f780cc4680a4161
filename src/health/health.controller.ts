import { Controller, Get } from '@nestjs/common';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { ApiError } from '../common/errors/api-error';

@ApiExcludeController()
@RateLimit('none')
@Controller()
@Public()
export class HealthController {
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
      await this.db.query('SELECT 1');
    } catch {
      throw new ApiError(503, 'Database unavailable.', { status: 'unavailable' }, { 'Retry-After': '5' });
    }
    if (!this.limiter.countersReachable()) {
      throw new ApiError(503, 'Redis unavailable.', { status: 'unavailable' }, { 'Retry-After': '5' });
    }
    return { status: 'ok' };
  }
}
