import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { Client, ClientInfo } from '../geo/client.decorator';
import { ApiData, ApiErrors, ApiNoContent, ApiPage } from '../common/http/api-responses';
import { CreatedTokenResponse, TokenResponse } from '../auth/token.response';
import { PageQuery, toPage } from '../common/http/pagination';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { CreateServiceAccountDto } from './dto/create-service-account.dto';
import { CreateServiceAccountTokenDto } from './dto/create-service-account-token.dto';
import { CreatedServiceAccountResponse, ServiceAccountResponse } from './service-account.response';
import { ServiceAccountsService } from './service-accounts.service';
import { EmptyBody, NoBody } from '../common/validation/no-body';

/** DELETE /team/service-accounts/{id} is ServiceAccountDeletionController's (account): it reaches the account's secrets too. */
@ApiTags('teams')
@Controller('team/service-accounts')
export class ServiceAccountsController {
  constructor(private readonly accounts: ServiceAccountsService) {}

  /** Creates a service account (role member) and its first token, shown once. */
  @Post()
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(201, CreatedServiceAccountResponse)
  async create(@Auth() auth: TokenAuth, @Body() dto: CreateServiceAccountDto, @Client() client: ClientInfo) {
    return { message: 'Service account created.', data: await this.accounts.create(auth, dto, client) };
  }

  /** Another token for a service account (to rotate its token: mint, deploy, then revoke the old), shown once. */
  @Post(':id/tokens')
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(201, CreatedTokenResponse)
  @ApiErrors({ 403: 'The token lacks `team:write`, the member is not an admin, or the abilities asked for are more than the token holds.' })
  async mintToken(
    @Auth() auth: TokenAuth,
    @Param('id', IdParamPipe) id: string,
    @Body() dto: CreateServiceAccountTokenDto,
    @Client() client: ClientInfo,
  ) {
    return { message: 'Token created successfully.', data: await this.accounts.mintToken(auth, id, dto, client) };
  }

  @Get()
  @Authenticated({ ability: 'team:read', admin: true })
  @ApiPage(ServiceAccountResponse)
  list(@Auth() auth: TokenAuth, @Query() query: PageQuery) {
    return this.accounts.list(auth, toPage(query));
  }

  /** The account's tokens (never their values), for an admin to rotate or revoke them. */
  @Get(':id/tokens')
  @Authenticated({ ability: 'team:read', admin: true })
  @ApiPage(TokenResponse)
  listTokens(@Auth() auth: TokenAuth, @Param('id', IdParamPipe) id: string, @Query() query: PageQuery) {
    return this.accounts.listTokens(auth, id, toPage(query));
  }

  /** Revokes one of the account's tokens: it fails with 401 from the next request on. */
  @Delete(':id/tokens/:token_id')
  @HttpCode(204)
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiNoContent()
  async revokeToken(
    @Auth() auth: TokenAuth,
    @Param('id', IdParamPipe) id: string,
    @Param('token_id', IdParamPipe) tokenId: string,
    @EmptyBody() _body: NoBody,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.accounts.revokeToken(auth, id, tokenId, client);
  }
}
