import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/errors/api-error';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { isApiRequest } from '../common/http/api-paths';
import type { HeaderSink } from '../common/http/direct-routes';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PublicBudget, RATE_LIMIT_BUDGET } from './rate-limit.decorator';
import { addressKey } from '../geo/address-key';
import type { CounterStorage } from './marks';
import { Keyring } from '../crypto/keyring';
import {
  AccountKey,
  accountKeyWith,
  KNOWN_ADDRESS_TTL_MS,
  knownAddressMark,
  LOGIN_ROUTE,
  loginBudget,
  rateBudgetFor,
  RateWindow,
} from './rate-limit.policy';
import { TokenRatesSource } from './token-rates.source';

/** What the storage is told a window's limit is: it only counts, and RateLimiter judges. */
const UNCAPPED = Number.MAX_SAFE_INTEGER;

/** Requests that have spent (or were exempt from) a budget already. */
const SPENT = new WeakSet<FastifyRequest>();

/**
 * Spends one request from the caller's budget in @nestjs/throttler's storage (Redis when
 * REDIS_URL is set, so every instance shares the counters) and says so in X-RateLimit-* headers.
 * Called by the global auth guard, so that 401s are counted and carry the headers too.
 */
@Injectable()
export class RateLimiter {
  private readonly accountKey: AccountKey;

  constructor(
    @InjectThrottlerStorage() private readonly storage: CounterStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
    private readonly rates: TokenRatesSource,
    keyring: Keyring,
  ) {
    this.accountKey = accountKeyWith(keyring);
  }

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
      if (!(error instanceof ApiError && (error.status === 429 || error.status === 503))) throw error;
    });
  }

  /**
   * A password confirmed with a token (PATCH and DELETE /account) spends from POST /auth/token's
   * budget for the account, so a stolen token is no faster a way to guess its user's password.
   * The answer's X-RateLimit-* stay the token's; a refusal's are the refusing window's, as on every 429.
   */
  async spendPasswordAttempt(email: string, ip: string, reply: HeaderSink): Promise<void> {
    if (!this.config.rateLimit.enabled) return;
    for (const window of loginBudget(LOGIN_ROUTE, this.accountKey(email), addressKey(ip), this.config.rateLimit).windows) {
      const counted = await this.spendIn(window).catch(() => {
        throw ApiError.unavailable();
      });
      if (counted.refused) this.refuse(reply, window.limit, counted.timeToExpire);
    }
  }

  /** A login succeeded from `ip`: that address is known to the account from now on (see loginBudget). */
  async rememberLogin(email: string, ip: string): Promise<void> {
    if (!this.config.rateLimit.enabled) return;
    await this.storage.mark(`mark:${knownAddressMark(this.accountKey(email), addressKey(ip))}`, KNOWN_ADDRESS_TTL_MS).catch(() => {
      throw ApiError.unavailable();
    });
  }

  /**
   * Why the counters do not answer (Redis's error), or undefined when they do (always, in process):
   * Redis is asked, as a hung one is connected but silent; readiness reports it.
   */
  countersUnreachable(): Promise<string | undefined> {
    if (!(this.storage instanceof ThrottlerStorageRedisService)) return Promise.resolve(undefined);
    return this.storage.redis.ping().then(
      () => undefined,
      (error: Error) => error.message,
    );
  }

  /** Whether `settle` has anything to do: the request is an /api/v1 one that has not spent yet. */
  unsettled(request: FastifyRequest): boolean {
    return !SPENT.has(request) && isApiRequest(request);
  }

  private async spendFor(request: FastifyRequest, reply: FastifyReply, routeBudget: PublicBudget | undefined, authenticated: boolean) {
    SPENT.add(request);
    const budget = rateBudgetFor(
      request,
      routeBudget,
      authenticated,
      this.config.rateLimit,
      (plan) => this.rates.tokenRates(plan),
      this.accountKey,
    );
    if (!budget) return;
    if (!this.config.rateLimit.enabled) {
      // Nothing is counted, and the headers API.md puts on every answer say so: the whole window is left.
      const { limit, ttlMs } = budget.shown;
      return showBudget(reply, limit, limit, Math.ceil(ttlMs / 1000));
    }

    for (const window of budget.windows) {
      const counted = await this.spendIn(window).catch(() => {
        // Redis is down: as while the database is, a 503 to retry. Its count is unknown, but nothing
        // can be spent until Redis is back, and the window open in it ends within its length.
        const { limit, ttlMs } = budget.shown;
        showBudget(reply, limit, 0, Math.ceil(ttlMs / 1000));
        throw ApiError.unavailable();
      });
      if (counted.refused) this.refuse(reply, window.limit, counted.timeToExpire);
      if (window === budget.shown) showBudget(reply, window.limit, window.limit - counted.totalHits, counted.timeToExpire);
    }
  }

  /**
   * Counts the request in `window`. The storage only counts (it never blocks at this limit); the
   * window refuses past its own, unless the request holds the window's mark (asked only then).
   */
  private async spendIn(window: RateWindow): Promise<{ totalHits: number; timeToExpire: number; refused: boolean }> {
    const { totalHits, timeToExpire } = await this.storage.increment(
      `window:${window.tracker}`,
      window.ttlMs,
      UNCAPPED,
      window.ttlMs,
      'window',
    );
    const refused = totalHits > window.limit && !(window.unlessMarked && (await this.storage.isMarked(`mark:${window.unlessMarked}`)));
    return { totalHits, timeToExpire, refused };
  }

  private refuse(reply: HeaderSink, limit: number, retryAfterSeconds: number): never {
    reply.header('X-RateLimit-Limit', limit);
    reply.header('X-RateLimit-Remaining', 0);
    reply.header('X-RateLimit-Reset', retryAfterSeconds);
    // Retry-After rides on the error, so only a 429 answered carries it, not an answer `settle` spent on.
    throw ApiError.tooManyAttempts(retryAfterSeconds);
  }
}

/** The budget a caller is shown on every /api/v1 answer; `reset` in seconds. */
function showBudget(reply: FastifyReply, limit: number, remaining: number, reset: number): void {
  reply.header('X-RateLimit-Limit', limit).header('X-RateLimit-Remaining', remaining).header('X-RateLimit-Reset', reset);
}
