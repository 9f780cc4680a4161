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
import { PLAN_NAMES, type Plan, type PlanFeature, type PlanName, type TokenRates } from './plans';

export interface PlanChange {
  plan: PlanName;
  /** The Stripe subscription status to show; left as it is when undefined (the operator's change). */
  status?: string | null;
  actor: AuditActor;
}

/** A Stripe subscription as one event describes it. */
export interface SubscriptionState {
  id: string;
  /** What it pays for as of this event: free unless active or trialing on a known price. */
  plan: PlanName;
  status: string;
  /** The event's `created`. */
  at: Date;
  /** Orders events of one second as Stripe makes them: created 0, updated 1, deleted 2. */
  rank: number;
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

  /**
   * Records what one event says of a subscription, unless the subscription has already had a
   * later event (by `created`, then by `rank`), and sets the team's plan to the best that its
   * subscriptions pay for, with that subscription's status. False when nothing changed: an
   * unknown team, or an event older than the subscription's last.
   */
  async applySubscription(teamId: string, subscription: SubscriptionState, actor: AuditActor, manager: EntityManager): Promise<boolean> {
    // Events of one team wait for each other here, so each recomputes from the others' rows.
    const [team] = await manager.query<{ id: string }[]>('SELECT id FROM teams WHERE id = $1 FOR UPDATE', [teamId]);
    if (!team) return false;
    const [previous] = await manager.query<{ team_id: string }[]>(
      'SELECT team_id FROM team_subscriptions WHERE subscription_id = $1 FOR UPDATE',
      [subscription.id],
    );
    const applied = await manager.query<unknown[]>(
      `INSERT INTO team_subscriptions AS s (subscription_id, team_id, plan, status, event_at, event_rank) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (subscription_id) DO UPDATE
         SET team_id = EXCLUDED.team_id, plan = EXCLUDED.plan, status = EXCLUDED.status, event_at = EXCLUDED.event_at, event_rank = EXCLUDED.event_rank
       WHERE (s.event_at, s.event_rank) <= (EXCLUDED.event_at, EXCLUDED.event_rank)
       RETURNING subscription_id`,
      [subscription.id, teamId, subscription.plan, subscription.status, subscription.at, subscription.rank],
    );
    if (!applied.length) return false;
    // A subscription whose metadata now names another team no longer pays for the one it did.
    if (previous && previous.team_id !== teamId) await this.followSubscriptions(previous.team_id, actor, manager);
    await this.followSubscriptions(teamId, actor, manager);
    return true;
  }

  /** The team's plan becomes the best its subscriptions pay for (free with none), with that subscription's status. */
  private async followSubscriptions(teamId: string, actor: AuditActor, manager: EntityManager): Promise<void> {
    const rows = await manager.query<{ plan: PlanName; status: string }[]>(
      'SELECT plan, status FROM team_subscriptions WHERE team_id = $1 ORDER BY event_at DESC, event_rank DESC',
      [teamId],
    );
    // PLAN_NAMES runs from least to most. The newest among the best: among free ones, the latest status (canceled, past_due…) is shown.
    const best = rows.reduce<{ plan: PlanName; status: string | null }>(
      (chosen, row) => (PLAN_NAMES.indexOf(row.plan) > PLAN_NAMES.indexOf(chosen.plan) ? row : chosen),
      rows[0] ?? { plan: 'free', status: null },
    );
    await this.setPlan(teamId, { plan: best.plan, status: best.status, actor }, manager);
  }

  /** Sets the plan (and, unless undefined, the billing status); records `plan.changed` when the plan really changes. Returns false for an unknown team. */
  async setPlan(teamId: string, change: PlanChange, manager?: EntityManager): Promise<boolean> {
    const run = async (m: EntityManager) => {
      const rows = await updateReturning<{ old_plan: PlanName }>(
        m,
        `UPDATE teams t SET plan = $2, billing_status = CASE WHEN $4 THEN $3 ELSE t.billing_status END, updated_at = now()
           FROM (SELECT id, plan AS old_plan FROM teams WHERE id = $1 FOR UPDATE) old
          WHERE t.id = old.id
          RETURNING old.old_plan`,
        [teamId, change.plan, change.status ?? null, change.status !== undefined],
      );
      if (rows.length && rows[0].old_plan !== change.plan) {
        await this.audit.record(change.actor, null, 'plan.changed', teamId, m);
      }
      return rows.length > 0;
    };
    return manager ? run(manager) : this.db.transaction(run);
  }
}
