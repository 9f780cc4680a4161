import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BillingService } from '../billing/billing.service';
import { ApiError } from '../common/errors/api-error';
import { TeamRepository } from './team.repository';

/** The plan's member limit, for people and service accounts alike. */
@Injectable()
export class MemberSeats {
  constructor(
    private readonly teams: TeamRepository,
    private readonly billing: BillingService,
  ) {}

  /**
   * Call inside the transaction that adds the member: the team lock makes concurrent additions
   * queue, so a burst of them cannot all see the last free seat, and the limit is the plan's as
   * the lock finds it, not as the token's team was read before (a downgrade it waited for counts).
   */
  async reserve(teamId: string, manager: EntityManager): Promise<void> {
    const plan = await this.teams.lockForMembership(teamId, manager);
    // Deleted while this waited: its tokens went with it.
    if (!plan) throw ApiError.unauthenticated(true);
    this.billing.assertMemberRoom(plan, await this.teams.countMembers(teamId, manager));
  }
}
