import { Injectable } from '@nestjs/common';
import type { TokenAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { SecretsService } from '../secrets/secrets.service';
import { TeamsService } from '../teams/teams.service';
import { PLANS } from './plans';

@Injectable()
export class BillingOverview {
  constructor(
    private readonly teams: TeamsService,
    private readonly secrets: SecretsService,
  ) {}

  async describe(auth: TokenAuth) {
    const membership = await this.teams.membership(auth.teamId, auth.userId);
    if (!membership) throw ApiError.unauthenticated();
    const plan = PLANS[membership.team.plan];
    return {
      plan: plan.name,
      status: membership.team.billingStatus,
      limits: {
        content_bytes: plan.contentBytes,
        max_lifetime_minutes: plan.maxLifetimeMinutes,
        members: plan.members,
        file_bytes: plan.fileBytes,
        requests_per_minute: plan.rates.perMinute,
        features: plan.features,
      },
      usage: { ...(await this.teams.usage(auth.teamId)), ...(await this.secrets.usage(auth.teamId)) },
    };
  }
}
