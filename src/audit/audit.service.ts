import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { And, DataSource, EntityManager, Raw } from 'typeorm';
import type { TokenAuth } from '../auth/auth-context';
import type { ClientInfo } from '../geo/client.decorator';
import { findPage, Page, paginated, Paginated } from '../common/http/pagination';
import { AuditActorType, AuditEvent, AuditEventType } from './audit-event.entity';
import { presentAuditEvent } from './audit-event.presenter';
import type { AuditEventResponse } from './audit-event.response';

/** Whoever acted, and the team whose trail records it. A token's caller is given as its TokenAuth. */
export interface AuditActor {
  teamId: string;
  type: AuditActorType;
  id: string | null;
  name: string | null;
}

/** A change made by the system itself (`billing`) or by an operator on the command line (`operator`). */
export const systemActor = (teamId: string, name: 'billing' | 'operator'): AuditActor => ({ teamId, type: 'system', id: null, name });

/** Whoever holds a link to one of the team's secrets: no identity, only the client the event records. */
export const linkActor = (teamId: string): AuditActor => ({ teamId, type: 'link', id: null, name: null });

/** The actor as an event records it: a token's caller is its user or service account. */
export function auditActorOf(actor: TokenAuth | AuditActor): AuditActor {
  if (!('kind' in actor)) return actor;
  return {
    teamId: actor.teamId,
    type: actor.userKind === 'service_account' ? 'service_account' : 'user',
    id: actor.userId,
    name: actor.userName,
  };
}

/** What a listing narrows the trail to; each left out keeps all. */
export interface AuditEventFilter {
  type?: AuditEventType;
  /** UTC text to the microsecond, as created_at is stored (see ListAuditEventsQuery). */
  since?: string;
  until?: string;
  actorId?: string;
}

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The team's events, newest first; `since` is inclusive, `until` exclusive, both read by the (team_id, created_at) index. */
  async list(teamId: string, page: Page, filter: AuditEventFilter = {}): Promise<Paginated<AuditEventResponse>> {
    const { type, since, until, actorId } = filter;
    // Raw, as TypeORM's operators take a Date, which holds milliseconds only.
    const createdAt = [
      since === undefined ? undefined : Raw((at) => `${at} >= :since`, { since }),
      until === undefined ? undefined : Raw((at) => `${at} < :until`, { until }),
    ].filter((bound) => bound !== undefined);
    const [rows, total] = await findPage(this.db.getRepository(AuditEvent), page, {
      where: {
        teamId,
        ...(type && { type }),
        ...(actorId && { actorId }),
        ...(createdAt.length && { createdAt: And(...createdAt) }),
      },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    return paginated(rows.map(presentAuditEvent), total, page);
  }

  /** A deleted team's trail goes with it: it names its members and their addresses. */
  async forgetTeam(teamId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(AuditEvent).delete({ teamId });
  }

  /**
   * How an event is written (hot statements use auditCte). Pass the transaction's manager so the event commits (or
   * not) with the change it describes; `client` is null where no request is behind it.
   */
  async record(
    by: TokenAuth | AuditActor,
    client: ClientInfo | null,
    type: AuditEventType,
    targetId: string | null,
    manager?: EntityManager,
  ): Promise<void> {
    await this.recordEach(by, client, type, [targetId], manager);
  }

  /** One event of the type for each target, in one statement. */
  async recordEach(
    by: TokenAuth | AuditActor,
    client: ClientInfo | null,
    type: AuditEventType,
    targetIds: (string | null)[],
    manager?: EntityManager,
  ): Promise<void> {
    if (targetIds.length === 0) return;
    const actor = auditActorOf(by);
    await (manager ?? this.db.manager).getRepository(AuditEvent).insert(
      targetIds.map((targetId) => ({
        id: randomUUID(),
        teamId: actor.teamId,
        type,
        actorType: actor.type,
        actorId: actor.id,
        actorName: actor.name,
        targetId,
        ip: client?.ip ?? null,
        country: client?.country ?? null,
      })),
    );
  }
}
