import { Body, Controller, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiData, ApiPage } from '../common/http/api-responses';
import { PageQuery, toPage } from '../common/http/pagination';
import { Client, ClientInfo } from '../geo/client.decorator';
import { CreateTeamDto, UpdateTeamDto } from './dto/create-team.dto';
import { CurrentTeamResponse, TeamResponse } from './team.response';
import { TeamsService } from './teams.service';

@ApiTags('teams')
@Controller()
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  /** The teams the caller belongs to, with the caller's role in each. */
  @Get('teams')
  @Authenticated({ ability: 'any' })
  @ApiPage(TeamResponse)
  list(@Auth() auth: TokenAuth, @Query() query: PageQuery) {
    return this.teams.listForUser(auth, toPage(query));
  }

  /** Creates a team; the caller is its owner. Recorded as `team.created` in the new team's trail. */
  @Post('teams')
  @Authenticated({ ability: 'team:write' })
  @ApiData(201, TeamResponse)
  async create(@Auth() auth: TokenAuth, @Body() dto: CreateTeamDto, @Client() client: ClientInfo) {
    return { message: 'Team created successfully.', data: await this.teams.create(auth, dto.name, client) };
  }

  /** The token's team, with the caller's role. */
  @Get('team')
  @Authenticated({ ability: 'team:read' })
  @ApiData(200, CurrentTeamResponse)
  async show(@Auth() auth: TokenAuth) {
    return { data: await this.teams.current(auth) };
  }

  /** Renames the token's team (a personal one too); recorded as `team.updated`. */
  @Patch('team')
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(200, CurrentTeamResponse)
  async rename(@Auth() auth: TokenAuth, @Body() dto: UpdateTeamDto, @Client() client: ClientInfo) {
    return { message: 'Team updated.', data: await this.teams.rename(auth, dto.name, client) };
  }
}
