import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TokenAuth } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { ApiPage } from '../common/http/api-responses';
import { toPage } from '../common/http/pagination';
import { AuditEventResponse } from '../audit/audit-event.response';
import { AuditService } from '../audit/audit.service';
import { ListAuditEventsQuery } from './dto/list-audit-events.query';

@ApiTags('teams')
@Controller('team/audit-events')
export class AuditEventsController {
  constructor(private readonly audit: AuditService) {}

  /** The team's audit trail, newest first: who did what to which target, from where. */
  @Get()
  @Authenticated({ ability: 'team:read', admin: true })
  @ApiPage(AuditEventResponse)
  list(@Auth() auth: TokenAuth, @Query() query: ListAuditEventsQuery) {
    const { type, since, until, actor_id: actorId } = query;
    return this.audit.list(auth.teamId, toPage(query), { type, since, until, actorId });
  }
}
