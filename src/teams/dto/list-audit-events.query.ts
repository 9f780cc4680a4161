import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsIn, IsUUID, isISO8601 } from 'class-validator';
import { AUDIT_EVENT_TYPES, AuditEventType } from '../../audit/audit-event.entity';
import { PageQuery } from '../../common/http/pagination';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';

/**
 * An ISO 8601 date (midnight UTC) or date-time with its offset becomes a Date; anything else (no
 * offset, which JavaScript would read as the server's local time; a week date; 2026-02-30) stays
 * as it came and fails `IsDate` with a 422.
 */
const Timestamp = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) &&
    isISO8601(value, { strict: true })
      ? new Date(value)
      : value,
  );

export class ListAuditEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES, description: 'Only events of this type' })
  @Optional()
  @IsIn(AUDIT_EVENT_TYPES, { message: msg.selected })
  type?: AuditEventType;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Only events at or after this time (ISO 8601: a date, or a date-time with its offset)',
  })
  @Optional()
  @Timestamp()
  @IsDate({ message: msg.date })
  since?: Date;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Only events before this time (ISO 8601: a date, or a date-time with its offset)',
  })
  @Optional()
  @Timestamp()
  @IsDate({ message: msg.date })
  until?: Date;

  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Only events by this user or service account' })
  @Optional()
  @IsUUID('all', { message: msg.uuid })
  actor_id?: string;
}
