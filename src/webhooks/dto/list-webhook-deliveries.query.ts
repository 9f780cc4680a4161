import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageQuery } from '../../common/http/pagination';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';
import { DELIVERY_STATUSES, DeliveryStatus } from '../webhook-delivery.entity';

export class ListWebhookDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, description: 'Only deliveries in this state (`failed`, say, for an alert)' })
  @Optional()
  @IsIn(DELIVERY_STATUSES, { message: msg.selected })
  status?: DeliveryStatus;
}
