import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const AUDIT_EVENT_TYPES = [
  'secret.created',
  'secret.viewed',
  'secret.updated',
  'secret.deleted',
  'secret.expired',
  'secret.passcode_failed',
  'secret.access_denied',
  'secret.burned',
  'secret.suspended',
  'account.updated',
  'token.created',
  'token.revoked',
  'member.added',
  'member.role_changed',
  'member.removed',
  'service_account.created',
  'service_account.deleted',
  'plan.changed',
  'team.created',
  'team.updated',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook_secret.rotated',
  'webhook_delivery.retried',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export const AUDIT_ACTOR_TYPES = ['user', 'service_account', 'link', 'system'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/** Who did what to which target, from where: never secret content, never a token. */
@Entity('audit_events')
@Index('audit_events_team_created_idx', ['teamId', 'createdAt'])
// BRIN, which TypeORM cannot declare: the migration owns it (AddAuditEventsTimeIndex).
@Index('audit_events_created_brin', { synchronize: false })
export class AuditEvent {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId!: string;

  @Column({ type: 'varchar', length: 40 })
  type!: AuditEventType;

  @Column({ name: 'actor_type', type: 'varchar', length: 20 })
  actorType!: AuditActorType;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_name', type: 'varchar', length: 100, nullable: true })
  actorName!: string | null;

  @Column({ name: 'target_id', type: 'uuid', nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ type: 'char', length: 2, nullable: true })
  country!: string | null;

  // When the row is written, not when its transaction began (now()): a change that waited on a
  // lock is stamped after the events committed during the wait.
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}
