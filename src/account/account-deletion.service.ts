import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { auditActorOf } from '../audit/audit.service';
import type { TokenAuth } from '../auth/auth-context';
import { UsersService } from '../auth/users.service';
import { ApiError } from '../common/errors/api-error';
import type { HeaderSink } from '../common/http/direct-routes';
import type { ClientInfo } from '../geo/client.decorator';
import { SecretsService } from '../secrets/secrets.service';
import { MemberRemoval } from '../teams/member-removal';
import { TeamsService } from '../teams/teams.service';
import { DeleteAccountDto } from './dto/delete-account.dto';
import { PasswordConfirmation } from './password-confirmation';
import { TeamDeletionService } from './team-deletion.service';

/**
 * DELETE /account: the caller's user is erased for good, with their personal team and all it
 * holds, other owners' memberships included: its user is always its owner (MembersService keeps
 * them one), so the team is theirs to take. They leave every other team as by DELETE
 * /team/membership, their tokens there revoked, each team's trail recording it; secrets they made
 * in other teams stay with those teams, without a creator, and those teams' audit trails keep
 * their name.
 */
@Injectable()
export class AccountDeletionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly teams: TeamsService,
    private readonly removal: MemberRemoval,
    private readonly secrets: SecretsService,
    private readonly teamDeletion: TeamDeletionService,
    private readonly confirmation: PasswordConfirmation,
  ) {}

  async delete(auth: TokenAuth, dto: DeleteAccountDto, client: ClientInfo, reply: HeaderSink): Promise<void> {
    if (auth.userKind === 'service_account') {
      throw ApiError.forbidden('A service account is deleted by an admin of its team: DELETE /team/service-accounts/{id}.');
    }
    const user = await this.users.findById(auth.userId);
    if (!user) throw ApiError.unauthenticated(true);
    await this.confirmation.confirm(user, dto.password, 'password', client, reply);

    await this.db.transaction(async (manager) => {
      // Memberships first, as a token being minted locks its membership and then the user: a
      // concurrent deletion of the same user waits here, then finds nothing left (401).
      await this.teams.lockMemberships(user.id, manager);
      if (!(await this.users.lock(user.id, manager))) throw ApiError.unauthenticated(true);
      // Read now, in a statement of its own (READ COMMITTED reads afresh), not from before those
      // waits: a team the user was creating, or an ownership being granted them, has committed.
      const soleOwned = await this.teams.lockSoleOwnerships(user.id, manager);
      const personalTeamId = await this.teams.personalTeamId(user.id, manager);
      const blocking = soleOwned.filter((teamId) => teamId !== personalTeamId);
      if (blocking.length) throw lastOwnerOf(blocking);
      // Read now too: with the user's row locked, no membership can be added any more.
      for (const teamId of await this.teams.teamIdsOf(user.id, manager)) {
        if (teamId !== personalTeamId) await this.removal.remove({ ...auditActorOf(auth), teamId }, user.id, client, manager);
      }
      if (personalTeamId) await this.teamDeletion.erase(personalTeamId, manager);
      await this.secrets.forgetCreator(user.id, null, manager);
      await this.users.deletePerson(user.id, manager);
    });
  }
}

/** As GitHub asks, ownership is handed on (or the team left to its other owners) before the account goes. */
function lastOwnerOf(teamIds: string[]): ApiError {
  return new ApiError(422, 'You are the last owner of other teams: make another member an owner of each first.', {
    errors: { account: teamIds.map((teamId) => `You are the last owner of team ${teamId}.`) },
    code: 'last_owner',
  });
}
