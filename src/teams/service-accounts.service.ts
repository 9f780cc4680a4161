import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Ability, holdsAll } from '../auth/ability';
import type { TokenAuth } from '../auth/auth-context';
import { MAX_ACTIVE_TOKENS, TokenService } from '../auth/token.service';
import { presentToken } from '../auth/token.presenter';
import type { CreatedTokenResponse, TokenResponse } from '../auth/token.response';
import type { User } from '../auth/user.entity';
import { UsersService } from '../auth/users.service';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../geo/client.decorator';
import { Page, paginated, Paginated } from '../common/http/pagination';
import { CreateServiceAccountDto } from './dto/create-service-account.dto';
import { CreateServiceAccountTokenDto } from './dto/create-service-account-token.dto';
import { MemberSeats } from './member-seats';
import { presentServiceAccount } from './service-account.presenter';
import type { CreatedServiceAccountResponse, ServiceAccountResponse } from './service-account.response';
import { TeamsService } from './teams.service';
import { TeamRepository } from './team.repository';

const NOT_FOUND = 'Service account not found.';
const OVER_LIMIT = {
  field: 'abilities',
  message: `This service account already holds ${MAX_ACTIVE_TOKENS} active tokens; revoke one first.`,
};

/** Service accounts are users of kind service_account (auth's) with one membership, role member (ours). */
@Injectable()
export class ServiceAccountsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly teams: TeamRepository,
    private readonly teamsService: TeamsService,
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly seats: MemberSeats,
  ) {}

  /**
   * A named non-human member with its first token, shown once; never stronger than the caller's
   * token: no ability it lacks, and expiring no later than it does.
   */
  async create(auth: TokenAuth, dto: CreateServiceAccountDto, client: ClientInfo): Promise<CreatedServiceAccountResponse> {
    assertGrantable(auth, dto.abilities);
    return this.db.transaction(async (manager) => {
      await this.teamsService.assertAdminNow(auth, manager);
      await this.seats.reserve(auth.teamId, manager);
      const account = await this.users.createServiceAccount(dto.name, manager);
      await this.teams.addMember(auth.teamId, account.id, 'member', manager);
      const { token, record } = await this.tokens.mint(
        {
          teamId: auth.teamId,
          userId: account.id,
          name: dto.name,
          abilities: dto.abilities,
          mode: auth.mode,
          expiresInDays: dto.expires_in_days,
          notAfter: auth.expiresAt,
          overLimit: OVER_LIMIT,
        },
        manager,
      );
      await this.audit.record(auth, client, 'service_account.created', account.id, manager);
      await this.audit.record(auth, client, 'token.created', record.id, manager);
      return { ...presentServiceAccount(account, record.abilities), token, token_expires_at: record.expiresAt?.toISOString() ?? null };
    });
  }

  /**
   * Another token for the account (to rotate one, before revoking the old), shown once; as at
   * creation, never stronger than the caller's token nor outliving it. The account keeps its seat
   * and its name on what it did.
   */
  async mintToken(auth: TokenAuth, id: string, dto: CreateServiceAccountTokenDto, client: ClientInfo): Promise<CreatedTokenResponse> {
    assertGrantable(auth, dto.abilities);
    return this.db.transaction(async (manager) => {
      await this.teamsService.assertAdminNow(auth, manager);
      const account = await this.lockedAccountOf(auth, id, manager);
      const { token, record } = await this.tokens.mint(
        {
          teamId: auth.teamId,
          userId: id,
          name: dto.name ?? account.name,
          abilities: dto.abilities,
          mode: auth.mode,
          expiresInDays: dto.expires_in_days,
          notAfter: auth.expiresAt,
          overLimit: OVER_LIMIT,
        },
        manager,
      );
      await this.audit.record(auth, client, 'token.created', record.id, manager);
      return { ...presentToken(record), token };
    });
  }

  async list(auth: TokenAuth, page: Page): Promise<Paginated<ServiceAccountResponse>> {
    const [accounts, total] = await this.teams.listServiceAccounts(auth.teamId, page);
    const abilities = await this.tokens.abilitiesByUser(
      auth.teamId,
      accounts.map((account) => account.id),
    );
    return paginated(
      accounts.map((account) => presentServiceAccount(account, abilities.get(account.id) ?? [])),
      total,
      page,
    );
  }

  async listTokens(auth: TokenAuth, id: string, page: Page): Promise<Paginated<TokenResponse>> {
    await this.accountOf(auth, id, this.db.manager);
    const [rows, total] = await this.tokens.listForUser(auth.teamId, id, page);
    return paginated(rows.map(presentToken), total, page);
  }

  async revokeToken(auth: TokenAuth, id: string, tokenId: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      await this.teamsService.assertAdminNow(auth, manager);
      await this.accountOf(auth, id, manager);
      const deleted = await this.tokens.revoke(auth.teamId, id, tokenId, manager);
      if (!deleted) throw ApiError.notFound('Token not found.');
      if (deleted.active) await this.audit.record(auth, client, 'token.revoked', tokenId, manager);
    });
  }

  /**
   * Deleting the account takes its membership and tokens with it, in the caller's transaction
   * (ServiceAccountDeletion's, which forgets it as its secrets' creator); the trail records each token's end.
   */
  async remove(auth: TokenAuth, id: string, client: ClientInfo, manager: EntityManager): Promise<void> {
    await this.teamsService.assertAdminNow(auth, manager);
    await this.lockedAccountOf(auth, id, manager);
    const revoked = await this.tokens.revokeAllForUser(auth.teamId, id, manager);
    // A concurrent delete got there first: its 204 was the one.
    if (!(await this.users.deleteServiceAccount(id, manager))) throw ApiError.notFound(NOT_FOUND);
    await this.audit.recordEach(auth, client, 'token.revoked', revoked, manager);
    await this.audit.record(auth, client, 'service_account.deleted', id, manager);
  }

  /** The team's service account of that id; another team's, or a person's, is not found. */
  private async accountOf(auth: TokenAuth, id: string, manager: EntityManager): Promise<User> {
    const account = (await this.teams.findMember(auth.teamId, id, manager)) && (await this.users.findById(id, manager));
    if (!account || account.kind !== 'service_account') throw ApiError.notFound(NOT_FOUND);
    return account;
  }

  /**
   * The account, its membership row locked until the transaction ends: concurrent mints count its
   * tokens one after another, and a mint and a delete take turns (the later finds it gone).
   */
  private async lockedAccountOf(auth: TokenAuth, id: string, manager: EntityManager): Promise<User> {
    if (!(await this.teams.lockMember(auth.teamId, id, manager))) throw ApiError.notFound(NOT_FOUND);
    return this.accountOf(auth, id, manager);
  }
}

function assertGrantable(auth: TokenAuth, abilities: Ability[]): void {
  if (!holdsAll(auth.abilities, abilities)) throw ApiError.forbidden('A token cannot grant abilities it does not hold itself.');
}
