import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BillingModule } from '../billing/billing.module';
import { AuditEventsController } from './audit-events.controller';
import { MemberRemoval } from './member-removal';
import { MemberSeats } from './member-seats';
import { MembersController } from './members.controller';
import { MembershipController } from './membership.controller';
import { MembersService } from './members.service';
import { ServiceAccountsController } from './service-accounts.controller';
import { ServiceAccountsService } from './service-accounts.service';
import { TeamRepository } from './team.repository';
import { TeamsController } from './teams.controller';
import { TeamsService } from './teams.service';

@Module({
  imports: [AuthModule, BillingModule],
  controllers: [TeamsController, MembersController, MembershipController, ServiceAccountsController, AuditEventsController],
  providers: [TeamRepository, TeamsService, MemberSeats, MemberRemoval, MembersService, ServiceAccountsService],
  exports: [TeamsService, MemberRemoval, ServiceAccountsService],
})
export class TeamsModule {}
