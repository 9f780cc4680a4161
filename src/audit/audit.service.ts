import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { TokenAuth } from '../auth/auth-context';
import { Page, paginated } from '../common/http/pagination';
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

  async list(teamId: string, page: Page) {
    const [events, total] = await this.db.getRepository(AuditEvent).findAndCount({
      where: { teamId },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.perPage,
    });
    const data = events.map((event) => ({
      id: event.id,
      type: event.type,
      actor: { type: event.actorType, id: event.actorId, name: event.actorName },
      target_id: event.targetId,
      ip: event.ip,
      country: event.country,
      created_at: event.createdAt.toISOString(),
    }));
    return paginated(data, total, page);
  }

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
