import { Inject, Injectable } from '@nestjs/common';
import type { AuthContext } from '../auth/auth-context';
import type { ApiError } from '../common/errors/api-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { TokenRatesSource } from '../rate-limit/token-rates.source';
import {
  assertContentSize,
  assertFileSize,
  assertFileStorage,
  assertFeature,
  assertMemberRoom,
  lifetimeMinutes,
  monthlyContentSpent,
  withRateOverrides,
} from './plan-rules';
import { presentLimits } from './plan-limits.presenter';
import type { PlanLimitsResponse } from './plan-limits.response';
import type { Plan, PlanFeature, PlanName, TokenRates } from './plans';

/** The one owner of plan rules: every other module asks this service what a plan allows. */
@Injectable()
export class BillingService implements TokenRatesSource {
  private readonly plans: Record<PlanName, Plan>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.plans = withRateOverrides(config.rateLimit.tokenRateOverrides);
  }

  /** Anonymous secrets get the free plan's limits. */
  planOf(auth: AuthContext): PlanName {
    return auth.kind === 'token' ? auth.teamPlan : 'free';
  }

  /** What the plan allows, as GET /account and GET /billing show it. */
  limitsFor(plan: PlanName): PlanLimitsResponse {
    return presentLimits(this.plans[plan]);
  }

  /** A token's request budget on this plan (the rate limiter's). */
  tokenRates(plan: PlanName): TokenRates {
    return this.plans[plan].rates;
  }

  assertAllowed(plan: PlanName, feature: PlanFeature): void {
    assertFeature(this.plans[plan], feature);
  }

  assertContentSize(plan: PlanName, bytes: number): void {
    assertContentSize(this.plans[plan], bytes);
  }

  /** The largest file the plan takes (0 without the files feature). */
  fileBytes(plan: PlanName): number {
    return this.plans[plan].fileBytes;
  }

  assertFileSize(plan: PlanName, bytes: number): void {
    assertFileSize(this.plans[plan], bytes);
  }

  /** 413 when `addingBytes` more would take what the team's files hold (`heldBytes`: unopened ones, and ended ones still being read) past the plan's storage. */
  assertFileStorage(plan: PlanName, heldBytes: number, addingBytes: number): void {
    assertFileStorage(this.plans[plan], heldBytes, addingBytes);
  }

  /** What the team's text and encrypted secrets of a month may hold together, in bytes. */
  contentBytesPerMonth(plan: PlanName): number {
    return this.plans[plan].contentBytesPerMonth;
  }

  monthlyContentSpent(plan: PlanName): ApiError {
    return monthlyContentSpent(this.plans[plan]);
  }

  assertMemberRoom(plan: PlanName, members: number): void {
    assertMemberRoom(this.plans[plan], members);
  }

  /** Minutes a secret may live: what `field` asked for, within the plan's longest; the plan's longest when nothing was asked. */
  lifetimeMinutes(plan: PlanName, requestedMinutes?: number, field?: string): number {
    return lifetimeMinutes(this.plans[plan], requestedMinutes, field);
  }
}
