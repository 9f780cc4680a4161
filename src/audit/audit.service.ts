import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { TokenAuth } from '../auth/auth-context';
import { AuditActorType, AuditEvent, AuditEventType } from './audit-event.entity';

export interface AuditActor {
  type: AuditActorType;
  id: string | null;
  name: string | null;
}

export interface AuditEntry {
  teamId: string;
  type: AuditEventType;
  actor: AuditActor;
  targetId?: string | null;
  ip?: string | null;
  country?: string | null;
}

export function actorOf(auth: TokenAuth): AuditActor {
  return { type: auth.userKind === 'service_account' ? 'service_account' : 'user', id: auth.userId, name: auth.userName };
}

export const LINK_ACTOR: AuditActor = { type: 'link', id: null, name: null };

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Pass the transaction's manager so the event commits (or not) with the change it describes. */
  async record(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    await (manager ?? this.db.manager).getRepository(AuditEvent).insert({
      id: randomUUID(),
      teamId: entry.teamId,
      type: entry.type,
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorName: entry.actor.name,
      targetId: entry.targetId ?? null,
      ip: entry.ip ?? null,
      country: entry.country ?? null,
    });
  }
}
