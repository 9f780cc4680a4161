import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { Client, ClientInfo } from '../geo/client.decorator';
import { ApiData, ApiNoContent, ApiPage } from '../common/http/api-responses';
import { PageQuery, toPage } from '../common/http/pagination';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { CreateServiceAccountDto } from './dto/create-service-account.dto';
import { CreatedServiceAccountResponse, ServiceAccountResponse } from './service-account.response';
import { ServiceAccountsService } from './service-accounts.service';
import { EmptyBody, NoBody } from '../common/validation/no-body';

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

  @Get()
  @Authenticated({ ability: 'team:read', admin: true })
  @ApiPage(ServiceAccountResponse)
  list(@Auth() auth: TokenAuth, @Query() query: PageQuery) {
    return this.accounts.list(auth, toPage(query));
  }

  /** Deletes the account; its tokens stop working at once. */
  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiNoContent()
  async remove(
    @Auth() auth: TokenAuth,
    @Param('id', IdParamPipe) id: string,
    @EmptyBody() _body: NoBody,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.accounts.remove(auth, id, client);
  }
}
