import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiErrors, ApiMessage, ApiPage } from '../common/http/api-responses';
import { toPage } from '../common/http/pagination';
import { IdParamPipe } from '../common/http/id-param.pipe';
import { ListWebhookDeliveriesQuery } from './dto/list-webhook-deliveries.query';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDeliveryResponse } from './webhook-delivery.response';
import { EmptyBody, NoBody } from '../common/validation/no-body';
import { Client, ClientInfo } from '../geo/client.decorator';

@ApiTags('webhooks')
@Controller()
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  /** Every delivery of the team's events, newest first. */
  @Get('team/webhook-deliveries')
  @Authenticated({ ability: 'team:read', admin: true })
  @ApiPage(WebhookDeliveryResponse)
  list(@Auth() auth: TokenAuth, @Query() query: ListWebhookDeliveriesQuery) {
    return this.deliveries.list(auth.teamId, null, toPage(query), query.status);
  }

  /** Sends the delivery again now, whether it failed, is waiting for its next attempt, or was delivered; recorded as `webhook_delivery.retried`. */
  @Post('webhook-deliveries/:id/retry')
  @HttpCode(202)
  @Authenticated({ ability: 'team:write', admin: true })
  @ApiMessage(202)
  @ApiErrors({
    403: 'The token lacks `team:write`, the member is not an admin, or the plan lacks webhooks (`code: plan_limit`).',
    409: 'The delivery’s endpoint has been deleted (`code: endpoint_deleted`), or an attempt at it is under way (`code: delivery_in_flight`).',
  })
  async retry(@Auth() auth: TokenAuth, @Param('id', IdParamPipe) id: string, @EmptyBody() _body: NoBody, @Client() client: ClientInfo) {
    await this.deliveries.retry(auth, id, client);
    return { message: 'Delivery queued.' };
  }
}
