import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsUUID, isISO8601, ValidateBy } from 'class-validator';
import { AUDIT_EVENT_TYPES, AuditEventType } from '../../audit/audit-event.entity';
import { PageQuery } from '../../common/http/pagination';
import { msg } from '../../common/validation/messages';
import { Optional } from '../../common/validation/optional';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** What `utcMicros` writes. */
const UTC_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** A date or date-time this filter takes (an instant that exists: not 2026-02-30, nor 24:30), in any of its forms. */
const isTimestamp = (value: unknown): value is string =>
  typeof value === 'string' && ISO_TIME.test(value) && isISO8601(value, { strict: true }) && !Number.isNaN(Date.parse(value));

/**
 * An ISO 8601 date (midnight UTC) or date-time with its offset, as UTC text to the microsecond,
 * which PostgreSQL compares exactly with the microseconds it stores (a Date would cut it to the
 * millisecond): a fraction finer than that is rounded up, so `>=` and `<` on the stored times
 * still say at-or-after and before. Anything else (no offset, which JavaScript would read as the
 * server's local time; a week date; 2026-02-30) stays as it came and fails with a 422.
 */
function utcMicros(value: unknown): unknown {
  if (!isTimestamp(value)) return value;
  const ms = Date.parse(value);
  const nanos = Number((/\.\d{3}(\d*)/.exec(value)?.[1] ?? '').padEnd(6, '0'));
  const micros = Math.ceil(nanos / 1000);
  const [whole, fraction] = new Date(ms + (micros === 1000 ? 1 : 0)).toISOString().split('.');
  return `${whole}.${fraction.slice(0, 3)}${String(micros % 1000).padStart(3, '0')}Z`;
}

const Timestamp = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => utcMicros(value)),
    ValidateBy({
      name: 'isTimestamp',
      // What the client sent in that form is checked as anything else is: the database must never be the one to refuse it.
      validator: { validate: (value: unknown) => isTimestamp(value) && UTC_MICROS.test(value), defaultMessage: msg.date },
    }),
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
  since?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Only events before this time (ISO 8601: a date, or a date-time with its offset)',
  })
  @Optional()
  @Timestamp()
  until?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Only events by this user or service account' })
  @Optional()
  @IsUUID('all', { message: msg.uuid })
  actor_id?: string;
}
