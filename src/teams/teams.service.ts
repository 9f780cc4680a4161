import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { auditActorOf, AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { UsersService } from '../auth/users.service';
import { isAdmin } from '../auth/role';
import { ApiError } from '../common/errors/api-error';
import { Page, paginated, Paginated } from '../common/http/pagination';
import type { ClientInfo } from '../geo/client.decorator';
import { presentTeam } from './team.presenter';
import { MembershipView, TeamRepository } from './team.repository';
import { Team } from './team.entity';
import type { CurrentTeamResponse, TeamResponse } from './team.response';

const MAX_TEAMS_PER_USER = 20;

@Injectable()
export class TeamsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly teams: TeamRepository,
    private readonly audit: AuditService,
    private readonly users: UsersService,
  ) {}

  /** Creates a team with `ownerId` as its owner; pass the caller's manager to commit with its transaction. */
  async createWithOwner(ownerId: string, name: string, personal: boolean, manager?: EntityManager): Promise<Team> {
    const run = async (m: EntityManager) => {
      const team = await this.teams.insert({ id: randomUUID(), name, personal, createdBy: ownerId }, m);
      await this.teams.addMember(team.id, ownerId, 'owner', m);
      return team;
    };
    return manager ? run(manager) : this.db.transaction(run);
  }

  /**
   * A user makes at most MAX_TEAMS_PER_USER teams at a time (their personal one included), since
   * each team brings its own request budget and token allowance. The new team's trail starts with
   * its `team.created`, by the creator.
   */
  async create(auth: TokenAuth, name: string, client: ClientInfo): Promise<TeamResponse> {
    if (auth.userKind === 'service_account') throw ApiError.forbidden('Service accounts cannot create teams.');
    const team = await this.db.transaction(async (manager) => {
      // The creator's deletion waits for this team, to count it among theirs; or this waits for it, and is 401.
      if (!(await this.users.lockAgainstDeletion(auth.userId, manager))) throw ApiError.unauthenticated(true);
      if ((await this.teams.lockAndCountCreatedBy(auth.userId, manager)) >= MAX_TEAMS_PER_USER) {
        throw ApiError.validation({ name: [`A user may create at most ${MAX_TEAMS_PER_USER} teams.`] }, 'team_limit');
      }
      const created = await this.createWithOwner(auth.userId, name, false, manager);
      await this.audit.record({ ...auditActorOf(auth), teamId: created.id }, client, 'team.created', created.id, manager);
      return created;
    });
    return presentTeam(team, 'owner');
  }

  async listForUser(auth: TokenAuth, page: Page): Promise<Paginated<TeamResponse>> {
    const [memberships, total] = await this.teams.listForUser(auth.userId, page);
    return paginated(
      memberships.map(({ team, role }) => presentTeam(team, role)),
      total,
      page,
    );
  }

  async current(auth: TokenAuth): Promise<CurrentTeamResponse> {
    const membership = await this.teams.findMembership(auth.teamId, auth.userId);
    if (!membership) throw ApiError.unauthenticated(true);
    return { ...presentTeam(membership.team, membership.role), members: await this.teams.countMembers(auth.teamId) };
  }

  /** Renames the token's team; its own name again changes nothing and records nothing. */
  async rename(auth: TokenAuth, name: string, client: ClientInfo): Promise<CurrentTeamResponse> {
    await this.db.transaction(async (manager) => {
      await this.assertAdminNow(auth, manager);
      if (await this.teams.rename(auth.teamId, name, manager)) await this.audit.record(auth, client, 'team.updated', auth.teamId, manager);
    });
    return this.current(auth);
  }

  /**
   * The token's team, if its user may delete it: an owner (as of now, under the owner rows' lock:
   * the token's role may predate a demotion), of a team that is not personal, or is a personal one
   * without its user (left before they were kept in it; see RepairPersonalTeamCreators), which no
   * account's deletion would ever take. 401 when it is gone.
   */
  async assertDeletable(auth: TokenAuth, manager: EntityManager): Promise<Team> {
    const team = await this.teams.findById(auth.teamId, manager);
    if (!team) throw ApiError.unauthenticated(true);
    if (!(await this.lockOwners(team.id, manager)).includes(auth.userId)) {
      throw ApiError.forbidden('Only owners of the team may delete it.');
    }
    if (team.personal && team.createdBy)
      throw ApiError.field('team', 'A personal team cannot be deleted: it is part of its user’s account.');
    return team;
  }

  /**
   * The team's owners, their rows locked until the transaction ends (see TeamRepository.lockOwners).
   * A team always keeps an owner: none means it was deleted while this waited, a 401 as its tokens went with it.
   */
  async lockOwners(teamId: string, manager: EntityManager): Promise<string[]> {
    const owners = await this.teams.lockOwners(teamId, manager);
    if (!owners.length) throw ApiError.unauthenticated(true);
    return owners;
  }

  /**
   * Locks the team's row until the transaction ends, as its deletion needs: FOR UPDATE waits for
   * every write in the team under way (each holds KEY SHARE for its foreign key; a secret's create
   * only for its month's count, see TeamDeletionService.erase) and makes later ones wait, then
   * find the team gone. 401 when it is gone already.
   */
  async lockForDeletion(teamId: string, manager: EntityManager): Promise<void> {
    if (!(await this.teams.lockForDeletion(teamId, manager))) throw ApiError.unauthenticated(true);
  }

  /**
   * Deletes the locked team, and with it (ON DELETE CASCADE) its memberships, tokens, counts,
   * subscriptions, webhooks and the file parts of its uploads under way; its service accounts go
   * too, as each belongs to this team alone.
   */
  async delete(teamId: string, manager: EntityManager): Promise<void> {
    const serviceAccounts = await this.teams.serviceAccountIds(teamId, manager);
    await this.teams.delete(teamId, manager);
    await this.users.deleteServiceAccounts(serviceAccounts, manager);
  }

  membership(teamId: string, userId: string): Promise<MembershipView | null> {
    return this.teams.findMembership(teamId, userId);
  }

  personalTeamId(userId: string, manager?: EntityManager): Promise<string | null> {
    return this.teams.findPersonalTeamId(userId, manager);
  }

  teamIdsOf(userId: string, manager?: EntityManager): Promise<string[]> {
    return this.teams.teamIdsOf(userId, manager);
  }

  /**
   * The guard read the caller's role when the request came in; a demotion may have committed while
   * the request waited on its locks. Call after the transaction's other locks are taken: re-reads the
   * caller's role and holds the row until the transaction ends, so a demotion or removal of the
   * caller either waits for what this writes or has already been seen. 401 as the guard answers a
   * removed member's token; 403 for a member no longer an admin or owner.
   */
  async assertAdminNow(auth: TokenAuth, manager: EntityManager): Promise<void> {
    const role = await this.teams.shareRole(auth.teamId, auth.userId, manager);
    if (role === null) throw ApiError.unauthenticated(true);
    if (!isAdmin(role)) throw ApiError.forbidden('Only owners and admins of the team may do this.');
  }

  /** See TeamRepository.lockMemberships. */
  lockMemberships(userId: string, manager: EntityManager): Promise<void> {
    return this.teams.lockMemberships(userId, manager);
  }

  /** See TeamRepository.lockSoleOwnerships: the teams only this user owns, their owner rows locked. */
  lockSoleOwnerships(userId: string, manager: EntityManager): Promise<string[]> {
    return this.teams.lockSoleOwnerships(userId, manager);
  }

  /** Locks the user's membership row until the transaction ends (the token cap counts under it). */
  lockMember(teamId: string, userId: string, manager: EntityManager): Promise<boolean> {
    return this.teams.lockMember(teamId, userId, manager);
  }

  countMembers(teamId: string): Promise<number> {
    return this.teams.countMembers(teamId);
  }
}
