import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { Role } from './role';
import { MembershipView, TeamRepository } from './team.repository';
import { Team } from './team.entity';

@Injectable()
export class TeamsService {
  constructor(private readonly teams: TeamRepository) {}

  /** Creates a team with `ownerId` as its owner, inside the caller's transaction. */
  async createWithOwner(manager: EntityManager, ownerId: string, name: string, personal: boolean): Promise<Team> {
    const team = await this.teams.insert({ id: randomUUID(), name, personal }, manager);
    await this.teams.addMember(team.id, ownerId, 'owner', manager);
    return team;
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
}
