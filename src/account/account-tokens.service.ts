import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { holdsAll } from '../auth/ability';
import type { TokenAuth } from '../auth/auth-context';
import { presentToken } from '../auth/token.presenter';
import type { CreatedTokenResponse, TokenResponse } from '../auth/token.response';
import { MAX_ACTIVE_TOKENS, TokenService } from '../auth/token.service';
import { UsersService } from '../auth/users.service';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../geo/client.decorator';
import { Page, paginated, Paginated } from '../common/http/pagination';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { TeamsService } from '../teams/teams.service';
import { CreateTokenDto } from './dto/create-token.dto';

const NOT_A_MEMBER = 'You are not a member of this team.';

/** Signing in: credentials become a token bound to one of the user's teams. */
@Injectable()
export class AccountTokensService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly teams: TeamsService,
    private readonly audit: AuditService,
    private readonly limiter: RateLimiter,
  ) {}

  async issue(dto: CreateTokenDto, client: ClientInfo): Promise<CreatedTokenResponse> {
    const user = await this.users.verifyCredentials(dto.email, dto.password, client.gone);
    await this.limiter.rememberLogin(dto.email, client.ip);
    const teamId = dto.team_id ?? (await this.teams.personalTeamId(user.id));
    const membership = teamId ? await this.teams.membership(teamId, user.id) : null;
    if (!membership) throw ApiError.forbidden(NOT_A_MEMBER);

    const actor = { teamId: membership.team.id, type: 'user' as const, id: user.id, name: user.name };
    const { token, record } = await this.db.transaction(async (manager) => {
      // Held until the token is committed, so a removal either waits for it (and deletes it) or
      // has already removed the member (and no token is made).
      if (!(await this.teams.lockMember(membership.team.id, user.id, manager))) throw ApiError.forbidden(NOT_A_MEMBER);
      const minted = await this.tokens.mint(
        {
          teamId: membership.team.id,
          userId: user.id,
          name: dto.device_name,
          abilities: dto.abilities,
          mode: dto.mode ?? 'live',
          expiresInDays: dto.expires_in_days,
          overLimit: { field: 'team_id', message: `You already hold ${MAX_ACTIVE_TOKENS} active tokens in this team; revoke one first.` },
        },
        manager,
      );
      await this.audit.record(actor, client, 'token.created', minted.record.id, manager);
      return minted;
    });
    return { ...presentToken(record), token };
  }

  async list(auth: TokenAuth, page: Page): Promise<Paginated<TokenResponse>> {
    const [rows, total] = await this.tokens.listForUser(auth.teamId, auth.userId, page);
    return paginated(rows.map(presentToken), total, page);
  }

  /**
   * A token revokes its user's tokens, but none with an ability it lacks: a leaked CI token that
   * may only write secrets must not lock its user's admin automation out.
   */
  async revoke(auth: TokenAuth, id: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      const token = await this.tokens.findForUser(auth.teamId, auth.userId, id, manager);
      if (token && !holdsAll(auth.abilities, token.abilities)) {
        throw ApiError.forbidden('A token cannot revoke a token with abilities it does not hold itself.');
      }
      const deleted = token && (await this.tokens.revoke(auth.teamId, auth.userId, id, manager));
      if (!deleted) throw ApiError.notFound('Token not found.');
      if (deleted.active) await this.audit.record(auth, client, 'token.revoked', id, manager);
    });
  }
}
