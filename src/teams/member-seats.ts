import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { TokenAuth } from '../auth/auth-context';
import { BillingService } from '../billing/billing.service';
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
   * queue, so a burst of them cannot all see the last free seat.
   */
  async reserve(auth: TokenAuth, manager: EntityManager): Promise<void> {
    await this.teams.lockForMembership(auth.teamId, manager);
    this.billing.assertMemberRoom(auth.teamPlan, await this.teams.countMembers(auth.teamId, manager));
  }
}
