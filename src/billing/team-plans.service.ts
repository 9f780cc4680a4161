import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, AuditService, systemActor } from '../audit/audit.service';
import { lockUntilCommit } from '../common/database/advisory-lock';
import { updateReturning } from '../common/database/update-returning';
import { PLAN_NAMES, type PlanName } from './plans';

export interface PlanChange {
  plan: PlanName;
  /** The Stripe subscription status to show. */
  status: string | null;
  actor: AuditActor;
  /** The operator's grant changed: recorded even where the plan stays. */
  grantChanged?: boolean;
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

/** A team's plan as it changes: by the subscriptions Stripe tells of, or by the operator. */
@Injectable()
export class TeamPlansService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * Records what one event says of a subscription, unless the subscription has already had a
   * later event (by `created`, then by `rank`), and sets the team's plan to the best that its
   * subscriptions pay for, with that subscription's status. The team is the one the event's
   * metadata names (`named`) where that is a team, else the one the subscription paid for so far.
   * False when nothing changed: no such team, or an event older than the subscription's last.
   */
  async applySubscription(named: string | undefined, subscription: SubscriptionState, manager: EntityManager): Promise<boolean> {
    // Every event takes its subscription's lock, then its teams' rows in id order: one order for all,
    // so none deadlocks. Under the first, an event sees the row the one before it left (even one it
    // inserted), so the team a subscription leaves is recomputed; under the second, events of one
    // team recompute from each other's rows.
    await lockUntilCommit(manager, 'team_subscriptions', subscription.id);
    const [previous] = await manager.query<{ team_id: string }[]>('SELECT team_id FROM team_subscriptions WHERE subscription_id = $1', [
      subscription.id,
    ]);
    const candidates = [named, previous?.team_id].filter((id): id is string => id !== undefined);
    const locked = await manager.query<{ id: string }[]>('SELECT id FROM teams WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [
      candidates,
    ]);
    const teamId = candidates.find((id) => locked.some((team) => team.id === id));
    if (!teamId) return false;
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
    if (previous && previous.team_id !== teamId) {
      await this.followSubscriptions(previous.team_id, systemActor(previous.team_id, 'billing'), manager);
    }
    await this.followSubscriptions(teamId, systemActor(teamId, 'billing'), manager);
    return true;
  }

  /**
   * Whether a Stripe subscription may still bill the team: any that has not ended (canceled or
   * incomplete_expired), as an unpaid, incomplete or paused one can still be paid and become
   * active. It must be cancelled before the team goes.
   */
  async isBilled(teamId: string, manager: EntityManager): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `SELECT 1 FROM team_subscriptions WHERE team_id = $1 AND status NOT IN ('canceled', 'incomplete_expired') LIMIT 1`,
      [teamId],
    );
    return rows.length > 0;
  }

  /**
   * The operator's grant (`plan:set`): the team's plan is never below `plan` from now on, whatever
   * its subscriptions pay for (free takes the grant away). Answers the plan the team is on then,
   * or null for an unknown team.
   */
  async grant(teamId: string, plan: PlanName, actor: AuditActor): Promise<PlanName | null> {
    return this.db.transaction(async (manager) => {
      const grant = plan === 'free' ? null : plan;
      const granted = await updateReturning<{ old_grant: PlanName | null }>(
        manager,
        `UPDATE teams t SET operator_plan = $2
           FROM (SELECT id, operator_plan AS old_grant FROM teams WHERE id = $1 FOR UPDATE) old
          WHERE t.id = old.id
          RETURNING old.old_grant`,
        [teamId, grant],
      );
      if (!granted.length) return null;
      return this.followSubscriptions(teamId, actor, manager, granted[0].old_grant !== grant);
    });
  }

  /**
   * The team's plan becomes the best its subscriptions pay for (free with none), or the operator's
   * grant where that is better; the status shown is that subscription's either way.
   */
  private async followSubscriptions(teamId: string, actor: AuditActor, manager: EntityManager, grantChanged = false): Promise<PlanName> {
    const rows = await manager.query<{ plan: PlanName; status: string }[]>(
      'SELECT plan, status FROM team_subscriptions WHERE team_id = $1 ORDER BY event_at DESC, event_rank DESC',
      [teamId],
    );
    const [team] = await manager.query<{ operator_plan: PlanName | null }[]>('SELECT operator_plan FROM teams WHERE id = $1', [teamId]);
    // PLAN_NAMES runs from least to most. The newest among the best: among free ones, the latest status (canceled, past_due…) is shown.
    const rank = (plan: PlanName) => PLAN_NAMES.indexOf(plan);
    const best = rows.reduce<{ plan: PlanName; status: string | null }>(
      (chosen, row) => (rank(row.plan) > rank(chosen.plan) ? row : chosen),
      rows[0] ?? { plan: 'free', status: null },
    );
    const granted = team?.operator_plan;
    const plan = granted && rank(granted) > rank(best.plan) ? granted : best.plan;
    await this.setPlan(teamId, { plan, status: best.status, actor, grantChanged }, manager);
    return plan;
  }

  /** Sets the plan and the billing status; records `plan.changed` when the plan or the operator's grant really changes. */
  private async setPlan(teamId: string, change: PlanChange, manager: EntityManager): Promise<void> {
    const rows = await updateReturning<{ old_plan: PlanName }>(
      manager,
      `UPDATE teams t SET plan = $2, billing_status = $3, updated_at = now()
         FROM (SELECT id, plan AS old_plan FROM teams WHERE id = $1 FOR UPDATE) old
        WHERE t.id = old.id
        RETURNING old.old_plan`,
      [teamId, change.plan, change.status],
    );
    if (rows.length && (rows[0].old_plan !== change.plan || change.grantChanged)) {
      await this.audit.record(change.actor, null, 'plan.changed', teamId, manager);
    }
  }
}
