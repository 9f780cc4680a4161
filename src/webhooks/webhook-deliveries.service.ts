import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { BillingService } from '../billing/billing.service';
import { ApiError } from '../common/errors/api-error';
import { Page, paginated, Paginated } from '../common/http/pagination';
import { TeamsService } from '../teams/teams.service';
import type { ClientInfo } from '../geo/client.decorator';
import type { DeliveryStatus } from './webhook-delivery.entity';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { presentWebhookDelivery } from './webhook-delivery.presenter';
import type { WebhookDeliveryResponse } from './webhook-delivery.response';
import { WebhookDispatcher } from './webhook-dispatcher';

/** The delivery log, and sending one again. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly dispatcher: WebhookDispatcher,
    private readonly billing: BillingService,
    private readonly audit: AuditService,
    private readonly teamsService: TeamsService,
  ) {}

  /** The team's deliveries, or one secret's (the caller has checked the secret is the team's). */
  async list(teamId: string, secretId: string | null, page: Page, status?: DeliveryStatus): Promise<Paginated<WebhookDeliveryResponse>> {
    const [rows, total] = await this.deliveries.list(teamId, secretId, page, status);
    return paginated(rows.map(presentWebhookDelivery), total, page);
  }

  /**
   * Due again now. It gets what is left of its retry schedule, or one attempt when the schedule
   * is spent. Asked in GitHub's order, as PATCH /team/webhooks/{id} is: nothing for a caller no
   * longer an admin (403: the token's role may predate a demotion); another team's id is a 404
   * whatever the plan; then nothing is sent again while the team's plan has no webhooks (403),
   * nor to a team endpoint that has been deleted (409), nor while an attempt at it is under way
   * (409: its outcome decides what comes next, and a 202 would promise a send that never comes).
   * What is accepted (202) is recorded as `webhook_delivery.retried`: it sends the event's data
   * to an outside address again.
   */
  async retry(auth: TokenAuth, id: string, client: ClientInfo): Promise<void> {
    await this.db.transaction(async (manager) => {
      await this.teamsService.assertAdminNow(auth, manager);
      const delivery = await this.deliveries.findById(auth.teamId, id, manager);
      if (!delivery) throw ApiError.notFound('Webhook delivery not found.');
      this.billing.assertAllowed(this.billing.planOf(auth), 'webhooks');
      if (!(await this.deliveries.sendAgain(auth.teamId, id, manager))) {
        if (delivery.endpointId && !(await this.deliveries.endpointExists(auth.teamId, delivery.endpointId, manager))) {
          throw new ApiError(409, 'The endpoint of this delivery has been deleted.', { code: 'endpoint_deleted' });
        }
        throw new ApiError(409, 'An attempt at this delivery is under way; retry it once that attempt has ended.', {
          code: 'delivery_in_flight',
        });
      }
      await this.audit.record(auth, client, 'webhook_delivery.retried', id, manager);
    });
    this.dispatcher.wake();
  }
}
