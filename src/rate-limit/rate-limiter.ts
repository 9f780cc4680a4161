import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/errors/api-error';
import { isApiRequest } from '../common/http/api-paths';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PublicBudget, RATE_LIMIT_BUDGET } from './rate-limit.decorator';
import { RateWindow, rateBudgetFor } from './rate-limit.policy';
import { TokenRatesSource } from './token-rates.source';

/** Requests that have spent (or were exempt from) a budget already. */
const SPENT = new WeakSet<FastifyRequest>();

/**
 * Spends one request from the caller's budget in @nestjs/throttler's storage (Redis when
 * REDIS_URL is set, so every instance shares the counters) and says so in X-RateLimit-* headers.
 * Called by the global auth guard, so that 401s are counted and carry the headers too.
 */
@Injectable()
export class RateLimiter {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
    private readonly rates: TokenRatesSource,
  ) {}

  async spend(context: ExecutionContext, authenticated: boolean): Promise<void> {
    const http = context.switchToHttp();
    const routeBudget = this.reflector.getAllAndOverride<PublicBudget>(RATE_LIMIT_BUDGET, [context.getHandler(), context.getClass()]);
    await this.spendFor(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), routeBudget, authenticated);
  }

  /**
   * For /api/v1 requests that never reached a route (unknown paths, bodies that do not parse):
   * they spend a budget (the guard says whose) and carry the headers like every other answer,
   * but the answer itself is already decided, so a spent budget only shows in the headers.
   */
  async settle(request: FastifyRequest, reply: FastifyReply, authenticated: boolean): Promise<void> {
    if (!this.unsettled(request)) return;
    await this.spendFor(request, reply, undefined, authenticated).catch((error: unknown) => {
      if (!(error instanceof ApiError && error.status === 429)) throw error;
    });
  }

  /** Whether `settle` has anything to do: the request is an /api/v1 one that has not spent yet. */
  unsettled(request: FastifyRequest): boolean {
    return !SPENT.has(request) && isApiRequest(request);
  }

  private async spendFor(request: FastifyRequest, reply: FastifyReply, routeBudget: PublicBudget | undefined, authenticated: boolean) {
    SPENT.add(request);
    if (!this.config.rateLimit.enabled) return;
    const budget = rateBudgetFor(request, routeBudget, authenticated, this.config.rateLimit, (plan) => this.rates.tokenRates(plan));
    if (!budget) return;

    const spent = await Promise.all(
      budget.windows.map((window) =>
        this.storage.increment(`window:${window.tracker}`, window.ttlMs, window.limit, window.ttlMs, 'window'),
      ),
    );
    const [shown] = budget.windows;
    const refusing = longestRefusal(budget.windows, spent);
    if (refusing) this.refuse(reply, refusing.limit, refusing.wait);
    reply.header('X-RateLimit-Limit', shown.limit);
    reply.header('X-RateLimit-Remaining', Math.max(0, shown.limit - spent[0].totalHits));
    reply.header('X-RateLimit-Reset', spent[0].timeToExpire);
  }

  private refuse(reply: FastifyReply, limit: number, retryAfterSeconds: number): never {
    reply.header('X-RateLimit-Limit', limit);
    reply.header('X-RateLimit-Remaining', 0);
    reply.header('X-RateLimit-Reset', retryAfterSeconds);
    reply.header('Retry-After', retryAfterSeconds);
    throw new ApiError(429, 'Too Many Attempts.', {}, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * The exhausted window a 429 describes: the one that keeps refusing longest, so Retry-After is
 * not followed by another 429 and X-RateLimit-* speak of the budget that ran out (a free token's
 * burst, say, not its minute).
 */
function longestRefusal(
  windows: RateWindow[],
  spent: { isBlocked: boolean; timeToBlockExpire: number }[],
): { limit: number; wait: number } | undefined {
  let refusing: { limit: number; wait: number } | undefined;
  spent.forEach((counter, i) => {
    if (counter.isBlocked && (!refusing || counter.timeToBlockExpire > refusing.wait))
      refusing = { limit: windows[i].limit, wait: counter.timeToBlockExpire };
  });
  return refusing;
}
