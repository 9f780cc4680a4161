import { Injectable } from '@nestjs/common';
import { PLANS } from '../billing/plans';
import { ApiError } from '../common/errors/api-error';
import { TeamsService } from '../teams/teams.service';
import type { TokenAuth } from '../auth/auth-context';
import { AuthService } from '../auth/auth.service';
import { SecretsService } from '../secrets/secrets.service';

@Injectable()
export class AccountService {
  constructor(
    private readonly auth: AuthService,
    private readonly teams: TeamsService,
    private readonly secrets: SecretsService,
  ) {}

  async describe(auth: TokenAuth) {
    const [user, membership] = await Promise.all([
      this.auth.findUser(auth.userId),
      this.teams.membership(auth.teamId, auth.userId),
    ]);
    if (!user || !membership) throw ApiError.unauthenticated();
    const plan = PLANS[membership.team.plan];
    return {
      user: { id: user.id, kind: user.kind, email: user.email, name: user.name, created_at: user.createdAt.toISOString() },
      team: { id: membership.team.id, name: membership.team.name, plan: plan.name, role: membership.role },
      token: { id: auth.tokenId, abilities: auth.abilities, mode: auth.mode },
      usage: { ...(await this.teams.usage(auth.teamId)), ...(await this.secrets.usage(auth.teamId)) },
      limits: {
        content_bytes: plan.contentBytes,
        max_lifetime_minutes: plan.maxLifetimeMinutes,
        members: plan.members,
      },
    };
  }
}
