import { Optional } from '../../common/validation/optional';
import type { WebhookEventType } from '../webhook-event';
import { EndpointEventsRules, EndpointUrlRules } from './create-webhook-endpoint.dto';

/** Either field, or both; what is left out stays as it is. */
export class UpdateWebhookEndpointDto {
  @Optional()
  @EndpointUrlRules()
  url?: string;

  @Optional()
  @EndpointEventsRules()
  events?: WebhookEventType[];
}
