import { Injectable } from '@nestjs/common';
import { SecretsService } from '../secrets/secrets.service';
import { TeamsService } from '../teams/teams.service';
import type { UsageResponse } from './account.response';

/** The one reader of a team's usage, for GET /account and GET /billing alike; the period is the calendar month, in UTC. */
@Injectable()
export class UsageReader {
  constructor(
    private readonly teams: TeamsService,
    private readonly secrets: SecretsService,
  ) {}

  async read(teamId: string): Promise<UsageResponse> {
    const [members, secrets] = await Promise.all([this.teams.countMembers(teamId), this.secrets.usageThisPeriod(teamId)]);
    return {
      members,
      secrets_created_this_period: secrets.created,
      content_bytes_this_period: secrets.contentBytes,
      active_secrets: secrets.active,
      file_bytes_held: secrets.fileBytes,
      period_start: secrets.periodStart,
    };
  }
}
