import { IsIn } from 'class-validator';
import { ListOf } from '../../common/validation/list-field';
import { Optional } from '../../common/validation/optional';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from '../webhook-event';
import { RequiredWebhookUrl } from './webhook-url-rules';

export const EndpointEventsRules = () =>
  ListOf(
    WEBHOOK_EVENT_TYPES.length,
    IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `The events field may only contain ${WEBHOOK_EVENT_TYPES.join(', ')}.` }),
    { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
  );

export class CreateWebhookEndpointDto {
  /** https; its host must not be, or resolve to, a private or metadata address. */
  @RequiredWebhookUrl()
  url!: string;

  /** The event types it receives; all of them when left out. */
  @Optional()
  @EndpointEventsRules()
  events?: WebhookEventType[];
}
