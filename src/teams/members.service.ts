import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ABILITIES, holdsAll } from '../auth/ability';
import type { TokenAuth } from '../auth/auth-context';
import { outranks, Role } from '../auth/role';
import type { User } from '../auth/user.entity';
import { UsersService } from '../auth/users.service';
import { violatedForeignKey } from '../common/database/foreign-key-violation';
import { isUniqueViolation } from '../common/database/unique-violation';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../geo/client.decorator';
import { Page, paginated, Paginated } from '../common/http/pagination';
import { AddMemberDto, ChangeRoleDto } from './dto/member.dto';
import { MemberRemoval } from './member-removal';
import { MemberSeats } from './member-seats';
import { presentMember } from './member.presenter';
import type { MemberResponse } from './member.response';
import type { TeamMember } from './team-member.entity';
import { TeamRepository } from './team.repository';
import { TeamsService } from './teams.service';

const LAST_OWNER = 'The team must keep at least one owner.';
const PERSONAL_TEAM_OWNER = 'A personal team keeps its user as its owner: it is part of their account.';
const ALREADY_MEMBER = { email: ['This user is already a member of the team.'] };
const NO_SUCH_USER = 'No registered user has this email.';
const OWNERS_ONLY = 'Only owners may grant or take away the owner role.';

/** Adding, re-roling and removing members; owner changes are for owners only. */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly teams: TeamRepository,
    private readonly teamsService: TeamsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly seats: MemberSeats,
    private readonly removal: MemberRemoval,
  ) {}

  async list(auth: TokenAuth, page: Page): Promise<Paginated<MemberResponse>> {
    const [members, total] = await this.teams.listMembers(auth.teamId, page);
    return paginated(
      members.map((member) => presentMember(member, member.user!)),
      total,
      page,
    );
  }

  async add(auth: TokenAuth, dto: AddMemberDto, client: ClientInfo): Promise<MemberResponse> {
    // Before the look-up: a token that may not add anyone must not learn which emails are registered.
    this.assertMayEmpower(auth);
    this.assertMayGrant(auth, dto.role);
    const user = await this.users.findByEmail(dto.email);
    if (!user) throw ApiError.field('email', NO_SUCH_USER);
    try {
      return await this.db.transaction(async (manager) => {
        if (dto.role === 'owner') this.assertOwnerNow(auth, await this.teamsService.lockOwners(auth.teamId, manager));
        await this.teamsService.assertAdminNow(auth, manager);
        if (await this.teams.findMember(auth.teamId, user.id, manager)) throw ApiError.validation(ALREADY_MEMBER);
        await this.seats.reserve(auth.teamId, manager);
        await this.teams.addMember(auth.teamId, user.id, dto.role, manager);
        await this.audit.record(auth, client, 'member.added', user.id, manager);
        return presentMember((await this.teams.findMember(auth.teamId, user.id, manager))!, user);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw ApiError.validation(ALREADY_MEMBER);
      // The user deleted their account after the look-up.
      if (violatedForeignKey(error) === 'user_id') throw ApiError.field('email', NO_SUCH_USER);
      throw error;
    }
  }

  async changeRole(auth: TokenAuth, userId: string, dto: ChangeRoleDto, client: ClientInfo): Promise<MemberResponse> {
    return this.db.transaction(async (manager) => {
      const { member, user, owners } = await this.lockedMember(auth, userId, manager);
      await this.teamsService.assertAdminNow(auth, manager);
      if (user.kind === 'service_account' && dto.role !== 'member') throw ApiError.field('role', 'Service accounts are always members.');
      if (member.role === 'owner' || dto.role === 'owner') this.assertOwnerNow(auth, owners);
      // The same role again changes nothing, and records nothing (a service account's too).
      if (member.role === dto.role) return presentMember(member, user);
      if (outranks(dto.role, member.role)) this.assertMayEmpower(auth);
      if (member.role === 'owner') await this.assertMayStopOwning(auth, member, owners, 'role', manager);
      await this.teams.setRole(auth.teamId, userId, dto.role, manager);
      await this.audit.record(auth, client, 'member.role_changed', userId, manager);
      return presentMember({ ...member, role: dto.role }, user);
    });
  }

  /** The membership goes, and with it the member's tokens for this team, so they fail from the next request. */
  async remove(auth: TokenAuth, userId: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      const { member, user, owners } = await this.lockedMember(auth, userId, manager);
      await this.teamsService.assertAdminNow(auth, manager);
      if (user.kind === 'service_account') {
        throw ApiError.field('user_id', 'Service accounts are removed with DELETE /team/service-accounts/{id}.');
      }
      if (member.role === 'owner') this.assertOwnerNow(auth, owners);
      await this.assertMayStopOwning(auth, member, owners, 'user_id', manager);
      await this.removal.remove(auth, userId, client, manager);
    });
  }

  /**
   * The token's user leaves the token's team, whatever their role, as anyone may leave a GitHub
   * organisation: a user added to a team they did not ask to join is not kept there. The last
   * owner stays, and so does the user whose personal team it is; a service account is removed by an admin.
   */
  async leave(auth: TokenAuth, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      const { member, user, owners } = await this.lockedMember(auth, auth.userId, manager);
      if (user.kind === 'service_account')
        throw ApiError.forbidden('A service account is removed with DELETE /team/service-accounts/{id}.');
      await this.assertMayStopOwning(auth, member, owners, 'membership', manager);
      await this.removal.remove(auth, auth.userId, client, manager);
    });
  }

  /**
   * Whether `member` may stop owning the token's team, demoted, removed or leaving (a 422 on
   * `field` if not): never its last owner, nor the user whose personal team it is, as GitHub's
   * personal account never loses its owner. That user's account stands for the team: without it
   * they could get no token and delete nothing, while their account's deletion erases the team.
   */
  private async assertMayStopOwning(
    auth: TokenAuth,
    member: TeamMember,
    owners: string[],
    field: string,
    manager: EntityManager,
  ): Promise<void> {
    if (member.role === 'owner' && owners.length === 1) throw ApiError.field(field, LAST_OWNER);
    if ((await this.teamsService.personalTeamId(member.userId, manager)) === auth.teamId) throw ApiError.field(field, PERSONAL_TEAM_OWNER);
  }

  /** The owner rows are locked first, so concurrent demotions see each other. */
  private async lockedMember(
    auth: TokenAuth,
    userId: string,
    manager: EntityManager,
  ): Promise<{ member: TeamMember; user: User; owners: string[] }> {
    const owners = await this.teamsService.lockOwners(auth.teamId, manager);
    const member = await this.teams.findMember(auth.teamId, userId, manager);
    const user = member && (await this.users.findById(userId, manager));
    if (!member || !user) throw ApiError.notFound('Member not found.');
    return { member, user, owners };
  }

  /**
   * A member (or a raised one) may mint tokens with every ability, so only a token holding them
   * all may add or raise one: as a token never makes a service account stronger than itself, a
   * leaked token with `team:write` alone must not add its holder's own account as owner.
   */
  private assertMayEmpower(auth: TokenAuth): void {
    if (!holdsAll(auth.abilities, ABILITIES)) {
      throw ApiError.forbidden('Adding a member or raising a role needs a token with every ability: the member may mint such tokens.');
    }
  }

  /** From the token's role, read at authentication: refuses early, before anything is looked up. */
  private assertMayGrant(auth: TokenAuth, role: Role): void {
    if (role === 'owner' && auth.role !== 'owner') throw ApiError.forbidden(OWNERS_ONLY);
  }

  /** From the owner rows, locked: an owner demoted since the token's role was read is one no longer. */
  private assertOwnerNow(auth: TokenAuth, owners: string[]): void {
    if (!owners.includes(auth.userId)) throw ApiError.forbidden(OWNERS_ONLY);
  }
}
