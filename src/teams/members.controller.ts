import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { Client, ClientInfo } from '../geo/client.decorator';
import { ApiData, ApiErrors, ApiNoContent, ApiPage } from '../common/http/api-responses';
import { PageQuery, toPage } from '../common/http/pagination';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { AddMemberDto, ChangeRoleDto } from './dto/member.dto';
import { MemberResponse } from './member.response';
import { MembersService } from './members.service';
import { EmptyBody, NoBody } from '../common/validation/no-body';

@ApiTags('teams')
@Controller('team/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @Authenticated({ ability: 'team:read' })
  @ApiPage(MemberResponse)
  list(@Auth() auth: TokenAuth, @Query() query: PageQuery) {
    return this.members.list(auth, toPage(query));
  }

  /** Adds a registered user to the team. */
  @Post()
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(201, MemberResponse)
  @ApiErrors({
    403: 'The token lacks `team:write` or any other ability (the new member may mint tokens with them all), the member is not an admin (only owners grant `owner`), or the plan has no seat left (`code: plan_limit`).',
  })
  async add(@Auth() auth: TokenAuth, @Body() dto: AddMemberDto, @Client() client: ClientInfo) {
    return { message: 'Member added.', data: await this.members.add(auth, dto, client) };
  }

  /** Changes a member's role; neither the last owner nor the user whose personal team it is can be demoted. */
  @Patch(':user_id')
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(200, MemberResponse)
  @ApiErrors({
    403: 'The token lacks `team:write`, or raises a role without every ability; the member is not an admin; only owners grant or take away `owner`.',
  })
  async changeRole(
    @Auth() auth: TokenAuth,
    @Param('user_id', IdParamPipe) userId: string,
    @Body() dto: ChangeRoleDto,
    @Client() client: ClientInfo,
  ) {
    return { message: 'Role changed.', data: await this.members.changeRole(auth, userId, dto, client) };
  }

  /** Removes a member (never the last owner, nor the user whose personal team it is); their tokens for this team stop working at once. */
  @Delete(':user_id')
  @HttpCode(204)
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiNoContent()
  async remove(
    @Auth() auth: TokenAuth,
    @Param('user_id', IdParamPipe) userId: string,
    @EmptyBody() _body: NoBody,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.members.remove(auth, userId, client);
  }
}
