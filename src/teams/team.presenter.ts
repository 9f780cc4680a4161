import type { Role } from '../auth/role';
import type { Team } from './team.entity';
import type { TeamResponse } from './team.response';

export function presentTeam(team: Team, role: Role): TeamResponse {
  return { id: team.id, name: team.name, plan: team.plan, personal: team.personal, role, created_at: team.createdAt.toISOString() };
}
