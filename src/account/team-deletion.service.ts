import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import type { ClientInfo } from '../geo/client.decorator';
import { TeamPlansService } from '../billing/team-plans.service';
import { boundLockWaits, isLockTimeout } from '../common/database/lock-timeout';
import { ApiError } from '../common/errors/api-error';
import { aboutRequest } from '../common/logging/logger';
import { SecretsService } from '../secrets/secrets.service';
import { TeamsService } from '../teams/teams.service';

const LOCK_WAIT_MS = 200;
const ATTEMPTS = 5;

/**
 * Deletes a team for good, as GitHub deletes an organisation: its secrets and their bytes, its
 * members' access and tokens, its service accounts, webhooks, counts and audit trail, in one
 * transaction. Only an owner may, never of a personal team (part of its user's account), and
 * not while Stripe still bills the team.
 */
@Injectable()
export class TeamDeletionService {
  private readonly logger = new Logger(TeamDeletionService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly teams: TeamsService,
    private readonly secrets: SecretsService,
    private readonly plans: TeamPlansService,
    private readonly audit: AuditService,
  ) {}

  async delete(auth: TokenAuth, client: ClientInfo): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.transaction((manager) => this.deleteInTurn(auth, manager));
        break;
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        if (attempt === ATTEMPTS) throw ApiError.unavailable();
      }
    }
    // The team's trail goes with it: this line is all that says who deleted it, and from where.
    this.logger.log(
      aboutRequest(
        client.requestId,
        `Team ${auth.teamId} deleted by user ${auth.userId} with token ${auth.tokenId} from ${client.ip} (country ${client.country ?? 'unknown'})`,
      ),
    );
  }

  /**
   * A write in the team locks its rows first (a secret, the month's count) and the team's row
   * last (a foreign key's KEY SHARE, at the end of its statement: a create's only when its
   * month's count is a new row). The deletion takes them in that order too (see erase). Its
   * waits are bounded, so in what deadlock remains it gives way and tries again, rather than
   * PostgreSQL failing the write.
   */
  private async deleteInTurn(auth: TokenAuth, manager: EntityManager): Promise<void> {
    await boundLockWaits(manager, LOCK_WAIT_MS);
    const team = await this.teams.assertDeletable(auth, manager);
    await this.erase(team.id, manager);
  }

  /**
   * The team and all it holds, in the caller's transaction (DELETE /team, or DELETE /account for
   * its user's personal team): refused while Stripe still bills it.
   */
  async erase(teamId: string, manager: EntityManager): Promise<void> {
    await this.assertNotBilled(teamId, manager);
    // The secrets and counts go before the team's row is locked, as a write in the team takes its
    // locks in that order (see deleteInTurn).
    await this.secrets.deleteAllOfTeam(teamId, manager);
    await this.teams.lockForDeletion(teamId, manager);
    // Again under the lock too: a subscription event (which takes the team's row) may have committed meanwhile.
    await this.assertNotBilled(teamId, manager);
    await this.teams.delete(teamId, manager);
    // Secrets have no foreign key to their team (the create's hot path), so they are swept again
    // once the team's row is gone, with a snapshot that sees every create committed by then. A
    // create counts its secret in its month in the same statement, and the counts keep their key:
    // one that held its count's row as the team's row went made the cascade wait, so it committed
    // before this sweep, which takes its secret; any later one meets the row deleted (or, for a
    // new row, the team's row locked), waits for this transaction, then fails on that key.
    await this.secrets.deleteAllOfTeam(teamId, manager);
    await this.audit.forgetTeam(teamId, manager);
  }

  private async assertNotBilled(teamId: string, manager: EntityManager): Promise<void> {
    if (await this.plans.isBilled(teamId, manager)) {
      throw ApiError.validation({ subscription: ['Cancel the team’s subscription before deleting the team.'] }, 'subscription_active');
    }
  }
}
