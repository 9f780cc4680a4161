import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, AuditService } from '../audit/audit.service';
import type { AuthContext } from '../auth/auth-context';
import { updateReturning } from '../common/database/sql';
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
  withRateOverrides,
} from './plan-rules';
import { presentLimits } from './plan-limits.presenter';
import type { PlanLimitsResponse } from './plan-limits.response';
import type { Plan, PlanFeature, PlanName, TokenRates } from './plans';

export interface PlanChange {
  plan: PlanName;
  status: string | null;
  /** When the change was decided (a Stripe event's `created`); an older change than the last applied is ignored. */
  at?: Date;
  actor: AuditActor;
}

/** The one owner of plan rules: every other module asks this service what a plan allows. */
@Injectable()
export class BillingService implements TokenRatesSource {
  private readonly plans: Record<PlanName, Plan>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly audit: AuditService,
  ) {
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

  /** 413 when `addingBytes` more would take the team's unopened files (`heldBytes`) past the plan's storage. */
  assertFileStorage(plan: PlanName, heldBytes: number, addingBytes: number): void {
    assertFileStorage(this.plans[plan], heldBytes, addingBytes);
  }

  assertMemberRoom(plan: PlanName, members: number): void {
    assertMemberRoom(this.plans[plan], members);
  }

  /** Minutes a secret may live: `requestedMinutes` for a `minutes` secret, the plan's longest for a `views` one. */
  lifetimeMinutes(plan: PlanName, requestedMinutes?: number): number {
    return lifetimeMinutes(this.plans[plan], requestedMinutes);
  }

  /** Sets the plan (and billing status); records `plan.changed` when the plan really changes. Returns false for an unknown team. */
  async setPlan(teamId: string, change: PlanChange, manager?: EntityManager): Promise<boolean> {
    const run = async (m: EntityManager) => {
      const rows = await updateReturning<{ old_plan: PlanName }>(
        m,
        `UPDATE teams t SET plan = $2, billing_status = $3, billing_event_at = COALESCE($4, t.billing_event_at), updated_at = now()
           FROM (SELECT id, plan AS old_plan FROM teams WHERE id = $1 FOR UPDATE) old
          WHERE t.id = old.id AND ($4::timestamptz IS NULL OR t.billing_event_at IS NULL OR t.billing_event_at <= $4)
          RETURNING old.old_plan`,
        [teamId, change.plan, change.status, change.at ?? null],
      );
      if (rows.length && rows[0].old_plan !== change.plan) {
        await this.audit.record(change.actor, null, 'plan.changed', teamId, m);
      }
      return rows.length > 0;
    };
    return manager ? run(manager) : this.db.transaction(run);
  }
}
