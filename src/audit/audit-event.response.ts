import { ApiProperty } from '@nestjs/swagger';
import { AUDIT_ACTOR_TYPES, AUDIT_EVENT_TYPES, AuditActorType, AuditEventType } from './audit-event.entity';

export class AuditActorResponse {
  @ApiProperty({ enum: AUDIT_ACTOR_TYPES }) type!: AuditActorType;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) id!: string | null;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
}

/** Who did what to which target, from where: never secret content, never a token. */
export class AuditEventResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: AUDIT_EVENT_TYPES }) type!: AuditEventType;
  @ApiProperty() actor!: AuditActorResponse;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) target_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'ISO 3166-1 alpha-2' }) country!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}
