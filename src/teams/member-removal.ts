import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditActor, auditActorOf, AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { TokenService } from '../auth/token.service';
import type { ClientInfo } from '../geo/client.decorator';
import { TeamRepository } from './team.repository';

/**
 * A member leaving a team, however they go (removed, leaving, deleting their account): their
 * tokens for the team go too, each recorded as `token.revoked` beside `member.removed`.
 */
@Injectable()
export class MemberRemoval {
  constructor(
    private readonly teams: TeamRepository,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
  ) {}

  /** Removes `userId` from the actor's team, in the caller's transaction; the actor's team's trail records it. */
  async remove(by: TokenAuth | AuditActor, userId: string, client: ClientInfo, manager: EntityManager): Promise<void> {
    const actor = auditActorOf(by);
    // A token being minted holds this row until it commits: waiting here lets the revocation see it.
    await this.teams.lockMember(actor.teamId, userId, manager);
    const revoked = await this.tokens.revokeAllForUser(actor.teamId, userId, manager);
    await this.teams.removeMember(actor.teamId, userId, manager);
    await this.audit.recordEach(actor, client, 'token.revoked', revoked, manager);
    await this.audit.record(actor, client, 'member.removed', userId, manager);
  }
}
