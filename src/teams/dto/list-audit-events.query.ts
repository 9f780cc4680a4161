import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { AUDIT_EVENT_TYPES, AuditEventType } from '../../audit/audit-event.entity';
import { PageQuery } from '../../common/http/pagination';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';

export class ListAuditEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES, description: 'Only events of this type' })
  @Optional()
  @IsIn(AUDIT_EVENT_TYPES, { message: msg.selected })
  type?: AuditEventType;
}
