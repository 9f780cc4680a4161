import { Module } from '@nestjs/common';
import { TeamRepository } from './team.repository';
import { TeamsService } from './teams.service';

@Module({
  providers: [TeamRepository, TeamsService],
  exports: [TeamsService],
})
export class TeamsModule {}
