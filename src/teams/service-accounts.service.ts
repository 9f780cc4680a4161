import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { actorOf, AuditService } from '../audit/audit.service';
import { holdsAll } from '../auth/ability';
import type { TokenAuth } from '../auth/auth-context';
import { TokenService } from '../auth/token.service';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../common/http/client.decorator';
import { Page, paginated } from '../common/http/pagination';
import { CreateServiceAccountDto } from './dto/create-service-account.dto';
import { MemberSeats } from './member-seats';
import { ServiceAccountRepository } from './service-account.repository';
import { TeamRepository } from './team.repository';

@Injectable()
export class ServiceAccountsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly accounts: ServiceAccountRepository,
    private readonly teams: TeamRepository,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly seats: MemberSeats,
  ) {}

  /** A named non-human member with its first token, shown once; never stronger than the caller's token. */
  async create(auth: TokenAuth, dto: CreateServiceAccountDto, client: ClientInfo) {
    if (!holdsAll(auth.abilities, dto.abilities)) {
      throw ApiError.forbidden('A token cannot grant abilities it does not hold itself.');
    }
    const id = randomUUID();
    return this.db.transaction(async (manager) => {
      await this.seats.reserve(auth, manager);
      await this.accounts.insert(id, dto.name, manager);
      await this.teams.addMember(auth.teamId, id, 'member', manager);
      const { token, record } = await this.tokens.mint(
        { teamId: auth.teamId, userId: id, name: dto.name, abilities: dto.abilities, mode: auth.mode },
        manager,
      );
      const actor = actorOf(auth);
      await this.audit.record({ teamId: auth.teamId, type: 'service_account.created', actor, targetId: id, ip: client.ip }, manager);
      await this.audit.record({ teamId: auth.teamId, type: 'token.created', actor, targetId: record.id, ip: client.ip }, manager);
      return { id, name: dto.name, abilities: record.abilities, token, created_at: record.createdAt.toISOString() };
    });
  }

  async list(auth: TokenAuth, page: Page) {
    const [rows, total] = await this.accounts.list(auth.teamId, page);
    const data = rows.map((row) => ({ id: row.id, name: row.name, abilities: row.abilities, created_at: row.created_at.toISOString() }));
    return paginated(data, total, page);
  }

  async remove(auth: TokenAuth, id: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      if (!(await this.accounts.delete(auth.teamId, id, manager))) throw ApiError.notFound('Service account not found.');
      await this.audit.record({ teamId: auth.teamId, type: 'service_account.deleted', actor: actorOf(auth), targetId: id, ip: client.ip }, manager);
    });
  }
}
