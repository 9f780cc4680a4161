import { applyDecorators } from '@nestjs/common';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn } from 'class-validator';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';
import { RequiredText } from '../../common/validation/text-field';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from '../webhook-event';

/** Checked in this order (stacked decorators would run bottom-up), so a string reads "must be an array". */
const EventListRules = () =>
  applyDecorators(
    IsArray({ message: msg.array }),
    ArrayMinSize(1, { message: 'The events field must have at least 1 item.' }),
    ArrayMaxSize(WEBHOOK_EVENT_TYPES.length, { message: `The events field must not have more than ${WEBHOOK_EVENT_TYPES.length} items.` }),
    ArrayUnique({ message: 'The events field has a duplicate value.' }),
    IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: `The events field may only contain ${WEBHOOK_EVENT_TYPES.join(', ')}.` }),
  );

export class CreateWebhookEndpointDto {
  /** https; its host must not be, or resolve to, a private or metadata address. */
  @RequiredText(2048)
  url!: string;

  /** The event types it receives; all of them when left out. */
  @Optional()
  @EventListRules()
  events?: WebhookEventType[];
}
