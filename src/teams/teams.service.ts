import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { TokenAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { Page, paginated } from '../common/http/pagination';
import type { Role } from './role';
import { MembershipView, TeamRepository } from './team.repository';
import { Team } from './team.entity';
import { generateWebhookSecret } from './webhook-secret';

export function presentTeam(team: Team, role: Role) {
  return { id: team.id, name: team.name, plan: team.plan, personal: team.personal, role, created_at: team.createdAt.toISOString() };
}

@Injectable()
export class TeamsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly teams: TeamRepository,
  ) {}

  /** Creates a team with `ownerId` as its owner, inside the caller's transaction. */
  async createWithOwner(manager: EntityManager, ownerId: string, name: string, personal: boolean): Promise<Team> {
    const team = await this.teams.insert({ id: randomUUID(), name, personal, webhookSecret: generateWebhookSecret() }, manager);
    await this.teams.addMember(team.id, ownerId, 'owner', manager);
    return team;
  }

  async create(auth: TokenAuth, name: string) {
    if (auth.userKind === 'service_account') throw ApiError.forbidden('Service accounts cannot create teams.');
    const team = await this.db.transaction((manager) => this.createWithOwner(manager, auth.userId, name, false));
    return presentTeam(team, 'owner');
  }

  async listForUser(auth: TokenAuth, page: Page) {
    const [memberships, total] = await this.teams.listForUser(auth.userId, page);
    return paginated(memberships.map(({ team, role }) => presentTeam(team, role)), total, page);
  }

  async current(auth: TokenAuth) {
    const membership = await this.teams.findMembership(auth.teamId, auth.userId);
    if (!membership) throw ApiError.unauthenticated();
    return { ...presentTeam(membership.team, membership.role), members: await this.teams.countMembers(auth.teamId) };
  }

  membership(teamId: string, userId: string): Promise<MembershipView | null> {
    return this.teams.findMembership(teamId, userId);
  }

  personalTeamId(userId: string): Promise<string | null> {
    return this.teams.findPersonalTeamId(userId);
  }

  async usage(teamId: string) {
    return { members: await this.teams.countMembers(teamId) };
  }

  async webhookSecret(auth: TokenAuth) {
    const team = await this.teams.findById(auth.teamId);
    if (!team) throw ApiError.notFound();
    return { secret: team.webhookSecret, rotated_at: team.webhookSecretRotatedAt.toISOString() };
  }

  async rotateWebhookSecret(auth: TokenAuth) {
    const team = await this.teams.rotateWebhookSecret(auth.teamId, generateWebhookSecret());
    return { secret: team.webhookSecret, rotated_at: team.webhookSecretRotatedAt.toISOString() };
  }
}
