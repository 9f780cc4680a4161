import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiNoContent } from '../common/http/api-responses';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { EmptyBody, NoBody } from '../common/validation/no-body';
import { Client, ClientInfo } from '../geo/client.decorator';
import { ServiceAccountDeletionService } from './service-account-deletion.service';

/** The one route of /team/service-accounts that reaches the account's secrets; the others are ServiceAccountsController's (teams). */
@ApiTags('teams')
@Controller('team/service-accounts')
export class ServiceAccountDeletionController {
  constructor(private readonly deletion: ServiceAccountDeletionService) {}

  /** Deletes the account; its tokens stop working at once, and its secrets keep no creator. */
  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ ability: 'team:write', admin: true })
  // The id it had while ServiceAccountsController served it: generated clients keep their method.
  @ApiOperation({ operationId: 'service_accounts_remove' })
  @ApiNoContent()
  async remove(
    @Auth() auth: TokenAuth,
    @Param('id', IdParamPipe) id: string,
    @EmptyBody() _body: NoBody,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.deletion.delete(auth, id, client);
  }
}
