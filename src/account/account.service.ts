import { Injectable } from '@nestjs/common';
import type { TokenAuth } from '../auth/auth-context';
import { UsersService } from '../auth/users.service';
import { BillingService } from '../billing/billing.service';
import { ApiError } from '../common/errors/api-error';
import { TeamsService } from '../teams/teams.service';
import { presentAccount } from './account.presenter';
import type { AccountResponse, BillingResponse } from './account.response';
import { UsageReader } from './usage.reader';

/** What the caller sees of their own account and their team's plan. */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersService,
    private readonly teams: TeamsService,
    private readonly billing: BillingService,
    private readonly usage: UsageReader,
  ) {}

  async describe(auth: TokenAuth): Promise<AccountResponse> {
    const [user, membership, usage] = await Promise.all([
      this.users.findById(auth.userId),
      this.teams.membership(auth.teamId, auth.userId),
      this.usage.read(auth.teamId),
    ]);
    if (!user || !membership) throw ApiError.unauthenticated(true);
    return presentAccount(auth, user, membership, usage, this.billing.limitsFor(membership.team.plan));
  }

  async billingOverview(auth: TokenAuth): Promise<BillingResponse> {
    const [membership, usage] = await Promise.all([this.teams.membership(auth.teamId, auth.userId), this.usage.read(auth.teamId)]);
    if (!membership) throw ApiError.unauthenticated(true);
    const { team } = membership;
    return { plan: team.plan, status: team.billingStatus, limits: this.billing.limitsFor(team.plan), usage };
  }
}
