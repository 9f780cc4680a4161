import type { AuditActorType, AuditEventType } from './audit-event.entity';

/** SQL expressions (parameter references or literals) for the actor and client columns of an event. */
export interface AuditCteColumns {
  actorType: AuditActorType | `$${number}`;
  actorId: `$${number}` | 'NULL';
  actorName: `$${number}` | 'NULL';
  ip: `$${number}` | 'NULL';
  country: `$${number}` | 'NULL';
  /** The column of `source` that says when the event happened (`expires_at`: when a secret expired); when the statement runs otherwise. */
  at?: 'expires_at';
}

/**
 * The audit event as one CTE of a hot path's statement, so it commits with the change in the
 * same round trip (AuditService.record is the way everywhere else). `source` names the CTE whose
 * rows (`id`, `team_id`) the event is about; rows without a team (anonymous secrets) record none.
 * Every piece is a constant or a parameter reference: nothing from a request is spliced in.
 * Stamped as the column's default stamps AuditService.record's events (see AuditEvent.createdAt).
 */
export function auditCte(source: string, type: AuditEventType, columns: AuditCteColumns): string {
  const actorType = columns.actorType.startsWith('$') ? columns.actorType : `'${columns.actorType}'`;
  return `audit AS (
    INSERT INTO audit_events (id, team_id, type, actor_type, actor_id, actor_name, target_id, ip, country, created_at)
    SELECT gen_random_uuid(), team_id, '${type}', ${actorType}, ${columns.actorId}, ${columns.actorName}, id, ${columns.ip}, ${columns.country},
           ${columns.at ?? 'clock_timestamp()'}
      FROM ${source} WHERE team_id IS NOT NULL)`;
}

/** Whoever holds a link: no identity, only the address and country (parameter references) the event records. */
export const linkActorColumns = (ip: AuditCteColumns['ip'], country: AuditCteColumns['country']): AuditCteColumns => ({
  actorType: 'link',
  actorId: 'NULL',
  actorName: 'NULL',
  ip,
  country,
});
