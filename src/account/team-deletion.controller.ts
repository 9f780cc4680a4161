import { Controller, Delete, HttpCode } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiErrors, ApiNoContent } from '../common/http/api-responses';
import { EmptyBody, NoBody } from '../common/validation/no-body';
import { Client, ClientInfo } from '../geo/client.decorator';
import { TeamDeletionService } from './team-deletion.service';

@ApiTags('teams')
@Controller('team')
export class TeamDeletionController {
  constructor(private readonly deletion: TeamDeletionService) {}

  /** Deletes the token's team for good: its secrets, members' access, tokens, service accounts, webhooks and audit trail. */
  @Delete()
  @HttpCode(204)
  @Authenticated({ ability: 'team:write', owner: true })
  @ApiNoContent()
  @ApiErrors({
    403: 'The token lacks `team:write`, or its user is not an owner of the team.',
    422: 'A personal team (`errors.team`), or one a Stripe subscription may still bill, any not yet ended (canceled or incomplete_expired) (`errors.subscription`, `code: subscription_active`).',
  })
  async delete(@Auth() auth: TokenAuth, @EmptyBody() _body: NoBody, @Client() client: ClientInfo): Promise<void> {
    await this.deletion.delete(auth, client);
  }
}
