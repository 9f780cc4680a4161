import type { AuditEvent } from './audit-event.entity';
import type { AuditEventResponse } from './audit-event.response';

export function presentAuditEvent(event: AuditEvent): AuditEventResponse {
  return {
    id: event.id,
    type: event.type,
    actor: { type: event.actorType, id: event.actorId, name: event.actorName },
    target_id: event.targetId,
    ip: event.ip,
    country: event.country,
    created_at: event.createdAt.toISOString(),
  };
}
