import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UsersService } from '../auth/users.service';
import { isUniqueViolation } from '../common/database/unique-violation';
import { ApiError } from '../common/errors/api-error';
import type { ClientInfo } from '../geo/client.decorator';
import { TeamsService } from '../teams/teams.service';
import { presentRegistered } from './account.presenter';
import type { RegisteredResponse } from './account.response';
import { RegisterDto } from './dto/register.dto';

const EMAIL_TAKEN = { email: ['The email has already been taken.'] };

/** A new user and their personal team (role owner, plan free), committed together. */
@Injectable()
export class RegistrationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly teams: TeamsService,
  ) {}

  async register(dto: RegisterDto, client: ClientInfo): Promise<RegisteredResponse> {
    if (await this.users.findByEmail(dto.email)) throw ApiError.validation(EMAIL_TAKEN);
    const passwordHash = await this.users.hashPassword(dto.password, client.gone);
    try {
      return await this.db.transaction(async (manager) => {
        const user = await this.users.createPerson(dto.email, dto.name, passwordHash, manager);
        const team = await this.teams.createWithOwner(user.id, personalTeamName(dto.name), true, manager);
        return presentRegistered(user, team);
      });
    } catch (error) {
      // Two registrations racing for one address: the unique index decides.
      if (isUniqueViolation(error)) throw ApiError.validation(EMAIL_TAKEN);
      throw error;
    }
  }
}

/** "<name>'s team", within a team name's 100 characters (a name may take all 100 of its own). */
function personalTeamName(name: string): string {
  const suffix = "'s team";
  return `${Array.from(name)
    .slice(0, 100 - suffix.length)
    .join('')}${suffix}`;
}
