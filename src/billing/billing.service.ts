import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, AuditService } from '../audit/audit.service';
import { ApiError } from '../common/errors/api-error';
import { updateReturning } from '../common/database/sql';
import { cheapestPlanWith, Plan, PlanFeature, PlanName } from './plans';

const FEATURE_NAMES: Record<PlanFeature, string> = { webhooks: 'Webhooks', geo_blocking: 'Geo-blocking', files: 'File secrets' };

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, name: 'billing' };

export interface PlanChange {
  plan: PlanName;
  status: string | null;
  /** When the change was decided (a Stripe event's `created`); an older change than the last applied is ignored. */
  at?: Date;
  actor: AuditActor;
}

/** The one place that says what a plan allows and that changes a team's plan. */
@Injectable()
export class BillingService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  assertAllowed(plan: Plan, feature: PlanFeature): void {
    if (!plan.features[feature]) {
      throw ApiError.forbidden(`${FEATURE_NAMES[feature]} are available on the ${cheapestPlanWith(feature)} plan.`, 'plan_limit');
    }
  }

  /** 413 for a secret (plaintext or client ciphertext) larger than the plan allows. */
  assertContentSize(plan: Plan, bytes: number): void {
    if (bytes > plan.contentBytes) {
      throw new ApiError(413, `The secret is larger than the ${plan.name} plan allows (${plan.contentBytes} bytes).`, {
        code: 'plan_limit',
      });
    }
  }

  /** People and service accounts alike count towards the plan's members. */
  assertMemberRoom(plan: Plan, members: number): void {
    if (members >= plan.members) {
      throw ApiError.forbidden(`The ${plan.name} plan allows ${plan.members} members.`, 'plan_limit');
    }
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
        await this.audit.record({ teamId, type: 'plan.changed', actor: change.actor, targetId: teamId }, m);
      }
      return rows.length > 0;
    };
    return manager ? run(manager) : this.db.transaction(run);
  }
}
