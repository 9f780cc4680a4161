import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, Not, SelectQueryBuilder } from 'typeorm';
import type { Role } from '../auth/role';
import type { PlanName } from '../billing/plans';
import type { User } from '../auth/user.entity';
import { findPage, Page, readPage } from '../common/http/pagination';
import { TeamMember } from './team-member.entity';
import { Team } from './team.entity';
import { lockUntilCommit } from '../common/database/advisory-lock';

export interface MembershipView {
  team: Team;
  role: Role;
}

@Injectable()
export class TeamRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private manager(manager?: EntityManager): EntityManager {
    return manager ?? this.db.manager;
  }

  async insert(team: Pick<Team, 'id' | 'name' | 'personal' | 'createdBy'>, manager?: EntityManager): Promise<Team> {
    const repository = this.manager(manager).getRepository(Team);
    await repository.insert(team);
    return repository.findOneByOrFail({ id: team.id });
  }

  findById(teamId: string, manager?: EntityManager): Promise<Team | null> {
    return this.manager(manager).getRepository(Team).findOneBy({ id: teamId });
  }

  /** FOR UPDATE, for the team's deletion (TeamsService.lockForDeletion); false when it is gone. */
  async lockForDeletion(teamId: string, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM teams WHERE id = $1 FOR UPDATE`, [teamId]);
    return rows.length > 0;
  }

  /** What refers to the team goes with it (ON DELETE CASCADE): members, tokens, counts, subscriptions, webhooks. */
  async delete(teamId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(Team).delete({ id: teamId });
  }

  /** False when the team already has that name, or is gone. */
  async rename(teamId: string, name: string, manager: EntityManager): Promise<boolean> {
    const result = await manager.getRepository(Team).update({ id: teamId, name: Not(name) }, { name });
    return (result.affected ?? 0) > 0;
  }

  /** The teams `userId` has made, counted under a lock on that user's count until the transaction ends. */
  async lockAndCountCreatedBy(userId: string, manager: EntityManager): Promise<number> {
    await lockUntilCommit(manager, 'teams_created_by', userId);
    return manager.getRepository(Team).countBy({ createdBy: userId });
  }

  async listForUser(userId: string, page: Page): Promise<[MembershipView[], number]> {
    const [members, total] = await findPage(this.db.getRepository(TeamMember), page, {
      where: { userId },
      relations: { team: true },
      order: { createdAt: 'ASC', teamId: 'ASC' },
    });
    return [members.map((member) => ({ team: member.team!, role: member.role })), total];
  }

  async findMembership(teamId: string, userId: string): Promise<MembershipView | null> {
    const member = await this.db.getRepository(TeamMember).findOne({ where: { teamId, userId }, relations: { team: true } });
    return member?.team ? { team: member.team, role: member.role } : null;
  }

  /**
   * The personal team made at registration, while the user is still in it: others' personal teams
   * may have added this user, and are never theirs, even for a user removed from their own
   * before MembersService kept them there. One at most (`teams_personal_created_by_key`).
   */
  async findPersonalTeamId(userId: string, manager?: EntityManager): Promise<string | null> {
    const rows: { team_id: string }[] = await this.manager(manager).query(
      `SELECT m.team_id FROM team_members m JOIN teams t ON t.id = m.team_id
        WHERE m.user_id = $1 AND t.personal AND t.created_by = $1`,
      [userId],
    );
    return rows[0]?.team_id ?? null;
  }

  async addMember(teamId: string, userId: string, role: Role, manager?: EntityManager): Promise<void> {
    await this.manager(manager).getRepository(TeamMember).insert({ teamId, userId, role });
  }

  /**
   * Locks the team row until the transaction ends, so concurrent additions count members one
   * after another, and answers the team's plan as the lock found it: a plan change waited for
   * (billing locks the row too) is the one seats are counted against. NO KEY UPDATE, because the
   * team's rows elsewhere only need KEY SHARE for their foreign keys and must not wait for it.
   * Needs the transaction's manager. Null when the team is gone.
   */
  async lockForMembership(teamId: string, manager: EntityManager): Promise<PlanName | null> {
    const [team]: { plan: PlanName }[] = await manager.query(`SELECT plan FROM teams WHERE id = $1 FOR NO KEY UPDATE`, [teamId]);
    return team?.plan ?? null;
  }

  countMembers(teamId: string, manager?: EntityManager): Promise<number> {
    return this.manager(manager).getRepository(TeamMember).countBy({ teamId });
  }

  /** A page of the team's members, each with its user (see `pageOf`). */
  listMembers(teamId: string, page: Page): Promise<[TeamMember[], number]> {
    return this.pageOf(this.withUsers(teamId).orderBy('member.created_at', 'ASC').addOrderBy('member.user_id', 'ASC'), page);
  }

  /** A page of the team's service accounts, newest first (see `pageOf`). */
  async listServiceAccounts(teamId: string, page: Page): Promise<[User[], number]> {
    const [members, total] = await this.pageOf(
      this.withUsers(teamId)
        .andWhere(`account.kind = 'service_account'`)
        .orderBy('account.created_at', 'DESC')
        .addOrderBy('account.id', 'ASC'),
      page,
    );
    return [members.map((member) => member.user!), total];
  }

  /** The ids of the team's service accounts (each belongs to this team alone). */
  async serviceAccountIds(teamId: string, manager: EntityManager): Promise<string[]> {
    const rows: { id: string }[] = await this.withUsers(teamId, manager)
      .select('member.user_id', 'id')
      .andWhere(`account.kind = 'service_account'`)
      .getRawMany();
    return rows.map((row) => row.id);
  }

  /**
   * The page with its total counted in the same statement (over every row, before OFFSET and
   * LIMIT), so a member whose account is deleted meanwhile is in both, whole, or in neither. Not
   * skip/take: beside a join they read the page's keys in a statement of their own. `readPage`
   * counts first, so a page past the end reads no rows.
   */
  private pageOf(query: SelectQueryBuilder<TeamMember>, page: Page): Promise<[TeamMember[], number]> {
    return readPage(
      page,
      () => query.getCount(),
      async () => {
        const { entities, raw } = await query
          .addSelect('COUNT(*) OVER ()', 'total')
          .offset(page.offset)
          .limit(page.perPage)
          .getRawAndEntities<{ total: string }>();
        return { rows: entities, total: Number(raw[0]?.total ?? 0) };
      },
    );
  }

  private withUsers(teamId: string, manager?: EntityManager): SelectQueryBuilder<TeamMember> {
    return this.manager(manager)
      .getRepository(TeamMember)
      .createQueryBuilder('member')
      .innerJoinAndSelect('member.user', 'account')
      .where('member.team_id = :teamId', { teamId });
  }

  /** The teams `userId` is a member of, in one order. */
  async teamIdsOf(userId: string, manager?: EntityManager): Promise<string[]> {
    const rows = await this.manager(manager)
      .getRepository(TeamMember)
      .find({ select: { teamId: true }, where: { userId }, order: { teamId: 'ASC' } });
    return rows.map((row) => row.teamId);
  }

  findMember(teamId: string, userId: string, manager?: EntityManager): Promise<TeamMember | null> {
    return this.manager(manager).getRepository(TeamMember).findOneBy({ teamId, userId });
  }

  /** Locks the membership row until the transaction ends; false when there is none (any more). Needs the transaction's manager. */
  async lockMember(teamId: string, userId: string, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2 FOR UPDATE`, [
      teamId,
      userId,
    ]);
    return rows.length > 0;
  }

  /** The member's role, read under a share lock held until the transaction ends; null when not a member (any more). Needs the transaction's manager. */
  async shareRole(teamId: string, userId: string, manager: EntityManager): Promise<Role | null> {
    const rows: { role: Role }[] = await manager.query(`SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2 FOR SHARE`, [
      teamId,
      userId,
    ]);
    return rows[0]?.role ?? null;
  }

  /** Locks the team's owner rows so two concurrent demotions cannot leave it without one. Needs the transaction's manager. */
  async lockOwners(teamId: string, manager: EntityManager): Promise<string[]> {
    const rows: { user_id: string }[] = await manager.query(
      `SELECT user_id FROM team_members WHERE team_id = $1 AND role = 'owner' FOR UPDATE`,
      [teamId],
    );
    return rows.map((row) => row.user_id);
  }

  /**
   * Locks the user's memberships until the transaction ends. A token being minted holds its
   * membership row until it commits, and a change of the user's role holds it too, so waiting
   * here lets a deletion see (and delete) the token, and see the role. Needs the transaction's manager.
   */
  async lockMemberships(userId: string, manager: EntityManager): Promise<void> {
    await manager.query(`SELECT 1 FROM team_members WHERE user_id = $1 ORDER BY team_id FOR UPDATE`, [userId]);
  }

  /**
   * Locks the user's memberships, and the owner rows of every team they own (in one order, as
   * `lockOwners` does for one team), until the transaction ends; answers the teams the user is
   * the only owner of. Its snapshot is taken before any lock wait: run it once the user's rows
   * are locked (`lockMemberships`), or a role granted meanwhile goes unseen. Needs the transaction's manager.
   */
  async lockSoleOwnerships(userId: string, manager: EntityManager): Promise<string[]> {
    const rows: { team_id: string; user_id: string; role: Role }[] = await manager.query(
      `SELECT team_id, user_id, role FROM team_members
        WHERE user_id = $1
           OR (role = 'owner' AND team_id IN (SELECT team_id FROM team_members WHERE user_id = $1 AND role = 'owner'))
        ORDER BY team_id, user_id
          FOR UPDATE`,
      [userId],
    );
    const owners = new Map<string, string[]>();
    for (const row of rows) if (row.role === 'owner') owners.set(row.team_id, [...(owners.get(row.team_id) ?? []), row.user_id]);
    return [...owners].filter(([, ids]) => ids.length === 1 && ids[0] === userId).map(([teamId]) => teamId);
  }

  async setRole(teamId: string, userId: string, role: Role, manager?: EntityManager): Promise<void> {
    await this.manager(manager).getRepository(TeamMember).update({ teamId, userId }, { role });
  }

  async removeMember(teamId: string, userId: string, manager?: EntityManager): Promise<void> {
    await this.manager(manager).getRepository(TeamMember).delete({ teamId, userId });
  }
}
