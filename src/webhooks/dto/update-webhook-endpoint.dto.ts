import { Optional } from '../../common/validation/optional';
import type { WebhookEventType } from '../webhook-event';
import { EndpointEventsRules } from './create-webhook-endpoint.dto';
import { RequiredWebhookUrl } from './webhook-url-rules';

/** Either field, or both; what is left out stays as it is. */
export class UpdateWebhookEndpointDto {
  @Optional()
  @RequiredWebhookUrl()
  url?: string;

  @Optional()
  @EndpointEventsRules()
  events?: WebhookEventType[];
}
