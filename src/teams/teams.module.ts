import { Module } from '@nestjs/common';
import { TeamRepository } from './team.repository';
import { TeamsService } from './teams.service';

@Module({
  providers: [TeamRepository, TeamsService],
  exports: [TeamsService, TeamRepository],
})
export class TeamsModule {}
