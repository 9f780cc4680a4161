import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { actorOf, AuditActor, AuditService } from '../audit/audit.service';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../common/http/client.decorator';
import { isUniqueViolation } from '../common/database/unique-violation';
import { Page, paginated } from '../common/http/pagination';
import { TeamsService } from '../teams/teams.service';
import { AccessTokenRepository } from './access-token.repository';
import type { TokenAuth } from './auth-context';
import { CreateTokenDto } from './dto/create-token.dto';
import { RegisterDto } from './dto/register.dto';
import { PasswordHasher } from './password-hasher';
import { presentToken } from './token.presenter';
import { TokenService } from './token.service';
import { UserRepository } from './user.repository';

const EMAIL_TAKEN = { email: ['The email has already been taken.'] };

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UserRepository,
    private readonly accessTokens: AccessTokenRepository,
    private readonly tokens: TokenService,
    private readonly teams: TeamsService,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
  ) {}

  async register(dto: RegisterDto) {
    const email = dto.email.toLowerCase();
    if (await this.users.findByEmail(email)) throw ApiError.validation(EMAIL_TAKEN);
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.db.transaction(async (manager) => {
        const user = await this.users.insert({ id: randomUUID(), kind: 'user', email, name: dto.name, passwordHash }, manager);
        const team = await this.teams.createWithOwner(manager, user.id, `${dto.name}'s team`, true);
        return {
          id: user.id,
          email: user.email,
          name: user.name,
          created_at: user.createdAt.toISOString(),
          team: { id: team.id, name: team.name, plan: team.plan, role: 'owner' as const },
        };
      });
    } catch (error) {
      // Two registrations racing for one address: the unique index decides.
      if (isUniqueViolation(error)) throw ApiError.validation(EMAIL_TAKEN);
      throw error;
    }
  }

  findUser(id: string) {
    return this.users.findById(id);
  }

  findUserByEmail(email: string) {
    return this.users.findByEmail(email);
  }

  async issueToken(dto: CreateTokenDto, client: ClientInfo) {
    const user = await this.users.findByEmail(dto.email);
    // Always run argon2 so the answer takes as long whether or not the email is registered.
    const valid = await this.hasher.verify(user?.passwordHash ?? null, dto.password);
    if (!user || !valid) throw new ApiError(401, 'These credentials do not match our records.');

    const teamId = dto.team_id ?? (await this.teams.personalTeamId(user.id));
    const membership = teamId ? await this.teams.membership(teamId, user.id) : null;
    if (!membership) throw ApiError.forbidden('You are not a member of this team.');

    const actor: AuditActor = { type: 'user', id: user.id, name: user.name };
    const { token, record } = await this.db.transaction(async (manager) => {
      const minted = await this.tokens.mint(
        {
          teamId: membership.team.id,
          userId: user.id,
          name: dto.device_name,
          abilities: dto.abilities,
          mode: dto.mode ?? 'live',
          expiresInDays: dto.expires_in_days,
        },
        manager,
      );
      const event = { teamId: membership.team.id, type: 'token.created' as const, actor, targetId: minted.record.id, ip: client.ip };
      await this.audit.record(event, manager);
      return minted;
    });
    return { ...presentToken(record), token };
  }

  async listTokens(auth: TokenAuth, page: Page) {
    const [rows, total] = await this.accessTokens.listForUser(auth.teamId, auth.userId, page);
    return paginated(rows.map(presentToken), total, page);
  }

  async revokeToken(auth: TokenAuth, id: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      if (!(await this.accessTokens.deleteForUser(auth.teamId, auth.userId, id, manager))) throw ApiError.notFound('Token not found.');
      await this.audit.record({ teamId: auth.teamId, type: 'token.revoked', actor: actorOf(auth), targetId: id, ip: client.ip }, manager);
    });
  }
}
