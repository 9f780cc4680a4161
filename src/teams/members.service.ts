import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { actorOf, AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { AuthService } from '../auth/auth.service';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../common/http/client.decorator';
import { Page, paginated } from '../common/http/pagination';
import { isUniqueViolation } from '../common/database/unique-violation';
import { AddMemberDto, ChangeRoleDto } from './dto/member.dto';
import { MemberSeats } from './member-seats';
import { presentMember } from './member.presenter';
import type { Role } from './role';
import { MemberRow, TeamRepository } from './team.repository';

const LAST_OWNER = 'The team must keep at least one owner.';
const ALREADY_MEMBER = { email: ['This user is already a member of the team.'] };

/** Adding, re-roling and removing members; owner changes are for owners only. */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly teams: TeamRepository,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly seats: MemberSeats,
  ) {}

  async list(auth: TokenAuth, page: Page) {
    const [rows, total] = await this.teams.listMembers(auth.teamId, page);
    return paginated(rows.map(presentMember), total, page);
  }

  async add(auth: TokenAuth, dto: AddMemberDto, client: ClientInfo) {
    const user = await this.auth.findUserByEmail(dto.email);
    if (!user) throw ApiError.field('email', 'No registered user has this email.');
    this.assertMayGrant(auth, dto.role);
    try {
      return await this.db.transaction(async (manager) => {
        if (await this.teams.findMember(auth.teamId, user.id, manager)) throw ApiError.validation(ALREADY_MEMBER);
        await this.seats.reserve(auth, manager);
        await this.teams.addMember(auth.teamId, user.id, dto.role, manager);
        await this.record(manager, auth, 'member.added', user.id, client);
        return presentMember((await this.teams.findMember(auth.teamId, user.id, manager))!);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw ApiError.validation(ALREADY_MEMBER);
      throw error;
    }
  }

  async changeRole(auth: TokenAuth, userId: string, dto: ChangeRoleDto, client: ClientInfo) {
    return this.db.transaction(async (manager) => {
      const { member, owners } = await this.lockedMember(manager, auth, userId);
      if (member.kind === 'service_account') throw ApiError.field('role', 'Service accounts are always members.');
      if (member.role === 'owner' || dto.role === 'owner') this.assertMayGrant(auth, 'owner');
      if (member.role === 'owner' && dto.role !== 'owner' && owners.length === 1) throw ApiError.field('role', LAST_OWNER);
      await this.teams.setRole(auth.teamId, userId, dto.role, manager);
      await this.record(manager, auth, 'member.role_changed', userId, client);
      return presentMember({ ...member, role: dto.role });
    });
  }

  async remove(auth: TokenAuth, userId: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      const { member, owners } = await this.lockedMember(manager, auth, userId);
      if (member.kind === 'service_account') {
        throw ApiError.field('user_id', 'Service accounts are removed with DELETE /team/service-accounts/{id}.');
      }
      if (member.role === 'owner') {
        this.assertMayGrant(auth, 'owner');
        if (owners.length === 1) throw ApiError.field('user_id', LAST_OWNER);
      }
      await this.teams.removeMember(auth.teamId, userId, manager);
      await this.record(manager, auth, 'member.removed', userId, client);
    });
  }

  /** The owner rows are locked first, so concurrent demotions see each other. */
  private async lockedMember(manager: EntityManager, auth: TokenAuth, userId: string): Promise<{ member: MemberRow; owners: string[] }> {
    const owners = await this.teams.lockOwners(auth.teamId, manager);
    const member = await this.teams.findMember(auth.teamId, userId, manager);
    if (!member) throw ApiError.notFound('Member not found.');
    return { member, owners };
  }

  private assertMayGrant(auth: TokenAuth, role: Role): void {
    if (role === 'owner' && auth.role !== 'owner') throw ApiError.forbidden('Only owners may grant or take away the owner role.');
  }

  private record(manager: EntityManager, auth: TokenAuth, type: 'member.added' | 'member.role_changed' | 'member.removed', userId: string, client: ClientInfo) {
    return this.audit.record({ teamId: auth.teamId, type, actor: actorOf(auth), targetId: userId, ip: client.ip }, manager);
  }
}
