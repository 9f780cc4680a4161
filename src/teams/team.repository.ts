import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Role } from './role';
import { TeamMember } from './team-member.entity';
import { Team } from './team.entity';

export interface MembershipView {
  team: Team;
  role: Role;
}

@Injectable()
export class TeamRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(team: Pick<Team, 'id' | 'name' | 'personal'>, manager?: EntityManager): Promise<Team> {
    const repository = (manager ?? this.db.manager).getRepository(Team);
    await repository.insert(team);
    return repository.findOneByOrFail({ id: team.id });
  }

  async addMember(teamId: string, userId: string, role: Role, manager?: EntityManager): Promise<void> {
    await (manager ?? this.db.manager).getRepository(TeamMember).insert({ teamId, userId, role });
  }

  findById(teamId: string): Promise<Team | null> {
    return this.db.getRepository(Team).findOneBy({ id: teamId });
  }

  async findMembership(teamId: string, userId: string): Promise<MembershipView | null> {
    const member = await this.db.getRepository(TeamMember).findOne({
      where: { teamId, userId },
      relations: { team: true },
    });
    return member?.team ? { team: member.team, role: member.role } : null;
  }

  async findPersonalTeamId(userId: string): Promise<string | null> {
    const member = await this.db
      .getRepository(TeamMember)
      .createQueryBuilder('m')
      .innerJoin('m.team', 't')
      .where('m.user_id = :userId AND t.personal', { userId })
      .getOne();
    return member?.teamId ?? null;
  }

  countMembers(teamId: string): Promise<number> {
    return this.db.getRepository(TeamMember).countBy({ teamId });
  }
}
