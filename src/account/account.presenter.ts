import type { TokenAuth } from '../auth/auth-context';
import type { User } from '../auth/user.entity';
import type { PlanLimitsResponse } from '../billing/plan-limits.response';
import type { MembershipView } from '../teams/team.repository';
import type { AccountResponse, AccountUserResponse, RegisteredResponse, UsageResponse } from './account.response';

export function presentRegistered(user: User, team: MembershipView['team']): RegisteredResponse {
  return {
    id: user.id,
    email: user.email!,
    name: user.name,
    created_at: user.createdAt.toISOString(),
    team: { id: team.id, name: team.name, plan: team.plan, role: 'owner' },
  };
}

export function presentAccount(
  auth: TokenAuth,
  user: User,
  { team, role }: MembershipView,
  usage: UsageResponse,
  limits: PlanLimitsResponse,
): AccountResponse {
  return {
    user: presentAccountUser(user),
    team: { id: team.id, name: team.name, plan: team.plan, role },
    token: { id: auth.tokenId, abilities: auth.abilities, mode: auth.mode, expires_at: auth.expiresAt?.toISOString() ?? null },
    usage,
    limits,
  };
}

export function presentAccountUser(user: User): AccountUserResponse {
  return { id: user.id, kind: user.kind, email: user.email, name: user.name, created_at: user.createdAt.toISOString() };
}
