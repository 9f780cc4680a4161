import { Injectable } from '@nestjs/common';
import type { TokenAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { Page, paginated, Paginated } from '../common/http/pagination';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { presentWebhookDelivery } from './webhook-delivery.presenter';
import type { WebhookDeliveryResponse } from './webhook-delivery.response';
import { WebhookDispatcher } from './webhook-dispatcher';

/** The delivery log, and sending one again. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  /** The team's deliveries, or one secret's (the caller has checked the secret is the team's). */
  async list(teamId: string, secretId: string | null, page: Page): Promise<Paginated<WebhookDeliveryResponse>> {
    const [rows, total] = await this.deliveries.list(teamId, secretId, page);
    return paginated(rows.map(presentWebhookDelivery), total, page);
  }

  /** Due again now (a delivery being sent at this moment is left to finish). */
  async retry(auth: TokenAuth, id: string): Promise<void> {
    if (!(await this.deliveries.sendAgain(auth.teamId, id)) && !(await this.deliveries.findById(auth.teamId, id))) {
      throw ApiError.notFound('Webhook delivery not found.');
    }
    this.dispatcher.wake();
  }
}
