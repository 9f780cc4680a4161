import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiData, ApiErrors, ApiNoContent, ApiPage } from '../common/http/api-responses';
import { PageQuery, toPage } from '../common/http/pagination';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { Client, ClientInfo } from '../geo/client.decorator';
import { CreateWebhookEndpointDto } from './dto/create-webhook-endpoint.dto';
import { UpdateWebhookEndpointDto } from './dto/update-webhook-endpoint.dto';
import { ApiWebhookEvents } from './webhook-callbacks';
import { WebhookEndpointResponse } from './webhook-endpoint.response';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { EmptyBody, NoBody } from '../common/validation/no-body';

@ApiTags('webhooks')
@Controller('team/webhooks')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  /** The team's endpoints. */
  @Get()
  @Authenticated({ ability: 'team:read', admin: true })
  @ApiPage(WebhookEndpointResponse)
  list(@Auth() auth: TokenAuth, @Query() query: PageQuery) {
    return this.endpoints.list(auth, toPage(query));
  }

  /** Adds an endpoint that receives the team's events (Pro; at most 10). */
  @Post()
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(201, WebhookEndpointResponse)
  @ApiErrors({ 403: 'The token lacks `team:write`, the member is not an admin, or the plan lacks webhooks (`code: plan_limit`).' })
  @ApiWebhookEvents('url')
  async create(@Auth() auth: TokenAuth, @Body() dto: CreateWebhookEndpointDto, @Client() client: ClientInfo) {
    return { message: 'Webhook endpoint created.', data: await this.endpoints.create(auth, dto, client) };
  }

  /** Changes an endpoint's URL or events (Pro); deliveries still due to it go to the new URL. */
  @Patch(':id')
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiData(200, WebhookEndpointResponse)
  @ApiErrors({ 403: 'The token lacks `team:write`, the member is not an admin, or the plan lacks webhooks (`code: plan_limit`).' })
  async update(
    @Auth() auth: TokenAuth,
    @Param('id', IdParamPipe) id: string,
    @Body() dto: UpdateWebhookEndpointDto,
    @Client() client: ClientInfo,
  ) {
    return { message: 'Webhook endpoint updated.', data: await this.endpoints.update(auth, id, dto, client) };
  }

  /** Removes an endpoint; what was still due to it fails. */
  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiNoContent()
  async remove(@Auth() auth: TokenAuth, @Param('id', IdParamPipe) id: string, @EmptyBody() _body: NoBody, @Client() client: ClientInfo) {
    await this.endpoints.remove(auth, id, client);
  }
}
