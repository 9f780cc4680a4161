import { Controller, Delete, HttpCode } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiErrors, ApiNoContent } from '../common/http/api-responses';
import { EmptyBody, NoBody } from '../common/validation/no-body';
import { Client, ClientInfo } from '../geo/client.decorator';
import { MembersService } from './members.service';

@ApiTags('teams')
@Controller('team/membership')
export class MembershipController {
  constructor(private readonly members: MembersService) {}

  /** The token's user leaves the token's team (any role; not the last owner, nor the user whose personal team it is); their tokens for it stop working at once. */
  @Delete()
  @HttpCode(204)
  @Authenticated({ ability: 'team:write' })
  @ApiNoContent()
  @ApiErrors({ 403: 'The token lacks `team:write`, or is a service account’s (an admin removes those).' })
  async leave(@Auth() auth: TokenAuth, @EmptyBody() _body: NoBody, @Client() client: ClientInfo): Promise<void> {
    await this.members.leave(auth, client);
  }
}
